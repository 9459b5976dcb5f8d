"""Upload receipts: proof that an agent uploaded a file, so only they can attach it by its
digest. Pure.

Files are stored once by SHA-256: knowing a digest must not be enough to send another
department's file, nor to learn whether it exists. The receipt is an HMAC of the agent and
the file's reference under a key derived for this purpose alone (never the token key).
"""

import hashlib
import hmac


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"relaydesk/inbox/upload-receipt", hashlib.sha256).digest()


def receipt(secret: str, agent_id: str, ref: str) -> str:
    return hmac.new(_key(secret), f"{agent_id}|{ref}".encode(), hashlib.sha256).hexdigest()


def holds(secret: str, agent_id: str, ref: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(receipt(secret, agent_id, ref), given)
