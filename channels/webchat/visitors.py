"""Visitor tokens: a random visitor id and its HMAC, kept in the visitor's browser. Pure.

A visitor proves who they are with the token alone, so they can read only their own
conversation; no account, no cookie."""

import hashlib
import hmac
import secrets


def new_token(key: bytes) -> str:
    return sign(secrets.token_hex(16), key)


def sign(visitor: str, key: bytes) -> str:
    mac = hmac.new(key, visitor.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{visitor}.{mac}"


def visitor_of(token: str, key: bytes) -> str | None:
    visitor, _, _ = token.partition(".")
    if not visitor or not hmac.compare_digest(sign(visitor, key), token):
        return None
    return visitor
