"""The customer portal's signed links and sessions. Pure.

A sign-in link carries the address it was sent to, a random nonce and its expiry, signed
with HMAC-SHA256: nobody can make one for another address, and a changed byte fails the
check. That it is used once is the caller's business (the nonce is remembered until the
link would have expired anyway). A session is the same shape with a longer life, kept in
an HttpOnly cookie. An unsubscribe link names the notification it stops in its `scope`; a
link an agent sends from a ticket names the contact there (`contact:<id>`), for customers
the desk knows by phone or messenger rather than by mail. Written here rather than with
itsdangerous: twenty lines, and the kind is part of what is signed, so a link can never
pass for a session or the other way round.
"""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Literal

Kind = Literal["link", "session", "unsubscribe"]


class Refused(Exception):
    """Not a valid token of that kind: forged, damaged or expired (the reason says which)."""


@dataclass(frozen=True)
class Signed:
    kind: Kind
    email: str
    nonce: str
    expires: float
    scope: str = ""


def nonce() -> str:
    return secrets.token_urlsafe(12)


def _mac(key: bytes, kind: Kind, body: str) -> str:
    return hmac.new(key, f"relaydesk/portal/{kind}/{body}".encode(), hashlib.sha256).hexdigest()


def issue(key: bytes, kind: Kind, email: str, now: float, seconds: float, scope: str = "") -> str:
    payload = {"e": email.strip().lower(), "n": nonce(), "x": now + seconds, "s": scope}
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"{body}.{_mac(key, kind, body)}"


def check(key: bytes, kind: Kind, token: str, now: float) -> Signed:
    body, _, mac = token.partition(".")
    if not body or not hmac.compare_digest(mac, _mac(key, kind, body)):
        raise Refused("this link is not ours or was changed")
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        signed = Signed(
            kind, str(payload["e"]), str(payload["n"]), float(payload["x"]), str(payload["s"])
        )
    except (ValueError, KeyError, TypeError) as error:
        raise Refused("this link is damaged") from error
    if signed.expires <= now:
        raise Refused("this link has expired")
    return signed
