"""Login tokens: HS256 JWTs (PyJWT) naming the agent, with an expiry."""

import time

import jwt

ALGORITHM = "HS256"
AUDIENCE = "relaydesk-inbox"


class InvalidToken(Exception):
    pass


def issue(
    agent_id: str, key: str, hours: float, now: float | None = None, sessions: int = 0
) -> str:
    """`sessions`: the agent's `sessions` counter now; a token stays valid only while the
    agent's counter still has this value."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": agent_id,
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + int(hours * 3600),
        "ses": sessions,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def agent_of(token: str, key: str) -> str:
    """The agent id a valid, unexpired token names; InvalidToken otherwise."""
    return session_of(token, key)[0]


def session_of(token: str, key: str) -> tuple[str, int]:
    """The agent id and the `sessions` value a valid, unexpired token was issued with."""
    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], audience=AUDIENCE, options={"require": ["exp"]}
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("token names no agent")
    sessions = claims.get("ses", 0)  # tokens from before revocation existed: the first
    if not isinstance(sessions, int):
        raise InvalidToken("token has no session number")
    return subject, sessions
