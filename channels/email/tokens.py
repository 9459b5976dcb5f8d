"""The reply-to address of a ticket, `support+<ticket id>-<mac>@…`, signed so a stranger cannot
make one that joins a ticket not theirs. Pure.

An HMAC-SHA256 of the ticket id, cut to 48 bits: a guess has one chance in 2^48, and the
address stays within the 64 characters a local part may have.
"""

import hashlib
import hmac
import re

TOKEN = re.compile(r"^[^+@]+\+([0-9a-f]{32})-([0-9a-f]{12})@", re.IGNORECASE)


def _mac(secret: bytes, ticket_id: str) -> str:
    digest = hmac.new(secret, f"relaydesk/email/reply-to/{ticket_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:12]


def reply_address(secret: bytes, address: str, ticket_id: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local}+{ticket_id}-{_mac(secret, ticket_id)}@{domain}"


def ticket_of(secret: bytes, addresses: list[str]) -> str | None:
    """The ticket id of the first address carrying a valid token; forged ones are ignored."""
    for address in addresses:
        found = TOKEN.match(address)
        if found and hmac.compare_digest(found.group(2).lower(), _mac(secret, found.group(1))):
            return found.group(1)
    return None


def base_address(address: str) -> str:
    """`support+anything@host` -> `support@host`: which mailbox a plus-address belongs to."""
    local, _, domain = address.lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"
