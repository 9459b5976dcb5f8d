"""Visitor tokens: a random visitor id and its HMAC, kept in the visitor's browser. Pure.

A visitor proves who they are with the token alone, so they can read only their own
conversation; no account, no cookie."""

import hashlib
import hmac
import secrets

from channels.webchat import keys


def new_token(key: bytes) -> str:
    return sign(secrets.token_hex(16), key)


def sign(visitor: str, key: bytes) -> str:
    """`key` is the web chat's secret; the token is signed with its visitor-token key."""
    return _signed(visitor, keys.for_purpose(key, "visitor-token"))


def visitor_of(token: str, key: bytes) -> str | None:
    """The visitor a token names, or None. Tokens issued before keys were separated (signed
    with the secret itself) are still read, so no visitor loses their conversation; the
    caller gives the visitor a token of the new kind (`sign`)."""
    visitor, _, _ = token.partition(".")
    if not visitor:
        return None
    for signing in (keys.for_purpose(key, "visitor-token"), key):
        if hmac.compare_digest(_signed(visitor, signing), token):
            return visitor
    return None


def _signed(visitor: str, key: bytes) -> str:
    mac = hmac.new(key, visitor.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{visitor}.{mac}"
