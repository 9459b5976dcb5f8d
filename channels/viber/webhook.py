"""How a Viber callback is verified and answered; the pipeline is channels/_adapter/webhook.py.

`X-Viber-Content-Signature` is the HMAC-SHA256 of the raw body keyed with the bot's auth
token, in hex; anything else is refused before the body is read as JSON. A
`conversation_started` may be answered with a message in the response body: the bot's welcome.
https://developers.viber.com/docs/api/rest-bot-api/#callbacks
"""

import hashlib
import hmac
from typing import Any

from pydantic_core import to_json

from channels._adapter.intake import Result
from channels._adapter.webhook import JSON, Answer, Headers, Verify
from channels.viber.settings import ViberBot

SIGNATURE = b"x-viber-content-signature"


def signature(token: bytes, body: bytes) -> str:
    return hmac.new(token, body, hashlib.sha256).hexdigest()


def verifier(bots: dict[str, ViberBot]) -> Verify:
    def verify(account: str, headers: Headers, body: bytes) -> bool:
        bot = bots.get(account)
        given = next((value for key, value in headers if key == SIGNATURE), b"")
        if bot is None or not given:
            return False
        expected = signature(bot.token.get_secret_value().encode(), body).encode()
        return hmac.compare_digest(given.lower(), expected)

    return verify


def answer(bots: dict[str, ViberBot]) -> Any:
    def reply(account: str, event: dict[str, Any], result: Result) -> Answer:
        bot = bots[account]
        if event.get("event") == "conversation_started" and bot.welcome:
            welcome = {"sender": sender(bot), "type": "text", "text": bot.welcome}
            return Answer(200, to_json(welcome), JSON)
        return Answer(200, b"", None)

    return reply


def sender(bot: ViberBot) -> dict[str, str]:
    found = {"name": bot.name}
    if bot.avatar:
        found["avatar"] = bot.avatar
    return found
