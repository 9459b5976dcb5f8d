"""One key per purpose, derived from the web chat's secret. Pure.

A visitor token and an upload receipt are both HMACs; made with the same key, a receipt
(whose signed text the visitor chooses in part) could be shaped into a token. Each purpose
gets its own key, HMAC-SHA256(secret, "relaydesk/webchat/<purpose>"), so a MAC made for one
never verifies as the other.
"""

import functools
import hashlib
import hmac
from typing import Literal

Purpose = Literal["visitor-token", "upload-receipt"]


@functools.lru_cache(maxsize=16)
def for_purpose(secret: bytes, purpose: Purpose) -> bytes:
    return hmac.new(secret, f"relaydesk/webchat/{purpose}".encode(), hashlib.sha256).digest()
