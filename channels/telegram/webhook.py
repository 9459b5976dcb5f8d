"""How a Telegram webhook call is verified: the `X-Telegram-Bot-Api-Secret-Token` header
carries the secret given with `setWebhook`. The pipeline itself is channels/_adapter/webhook.py.

https://core.telegram.org/bots/api#setwebhook
"""

import hmac
from collections.abc import Mapping

from channels._adapter.webhook import Headers, Verify

SECRET_HEADER = b"x-telegram-bot-api-secret-token"


def verifier(secrets: Mapping[str, bytes]) -> Verify:
    """Each bot (account) has its own secret; an unknown account is refused."""

    def verify(account: str, headers: Headers, body: bytes) -> bool:
        expected = secrets.get(account)
        given = next((value for key, value in headers if key == SECRET_HEADER), b"")
        return expected is not None and hmac.compare_digest(given, expected)

    return verify
