"""How a Callback API call is verified and answered. The pipeline itself is
channels/_adapter/webhook.py. https://dev.vk.com/ru/api/callback/getting-started

Every call carries the community's `secret` key in its body and its `group_id`; anything
else is refused with nothing stored. VK wants the text `ok` for an event (anything else and
it sends the event again) and the confirmation code for the `confirmation` handshake.
"""

import hmac
from typing import Any

from pydantic_core import from_json

from channels._adapter.intake import Result
from channels._adapter.webhook import Answer, Headers, Verify
from channels.vk.settings import GroupConfig

TEXT = b"text/plain; charset=utf-8"


def verifier(groups: dict[str, GroupConfig]) -> Verify:
    def verify(account: str, headers: Headers, body: bytes) -> bool:
        group = groups.get(account)
        if group is None:
            return False
        try:
            event = from_json(body)
        except ValueError:
            return False
        if not isinstance(event, dict) or event.get("group_id") != group.group_id:
            return False
        given = str(event.get("secret", "")).encode()
        return hmac.compare_digest(given, group.secret.get_secret_value().encode())

    return verify


def answer(groups: dict[str, GroupConfig]) -> Any:
    def reply(account: str, event: dict[str, Any], result: Result) -> Answer:
        if event.get("type") == "confirmation":
            return Answer(200, groups[account].confirmation.encode(), TEXT)
        return Answer(200, b"ok", TEXT)

    return reply
