"""A minimal channel for testing what every adapter shares: its updates are
`{"id": …, "chat": …, "text": …}`, verified by an `X-Echo-Key` header equal to "k-<account>"."""

import hmac
from typing import Any

from channels._adapter.inbound import InboundPublisher
from channels._adapter.intake import Intake, InvalidPayload, Skipped
from channels._adapter.webhook import Answer, Headers, Result, Webhook
from contracts.messages import InboundMessage, Sender


def normalize(update: dict[str, Any], account: str) -> InboundMessage | Skipped:
    if update.get("boom"):
        raise ZeroDivisionError("a bug in the normalizer")
    if "text" not in update:
        return Skipped("no text: not a message")
    if not isinstance(update.get("chat"), str):
        raise InvalidPayload("chat is not a string")
    return InboundMessage(
        channel="webchat",
        account=account,
        thread_key=update["chat"],
        external_id=str(update["id"]),
        sender=Sender(channel_user_id=update["chat"]),
        text=str(update["text"]),
    )


def verify(account: str, headers: Headers, body: bytes) -> bool:
    given = next((v for k, v in headers if k == b"x-echo-key"), b"")
    return hmac.compare_digest(given, f"k-{account}".encode())


def reply(account: str, update: dict[str, Any], result: Result) -> Answer:
    return Answer(200, b"ok", b"text/plain")


def echo_webhook(publisher: InboundPublisher) -> Webhook:
    intake = Intake("webchat", publisher, normalize)
    return Webhook(lambda: intake, verify, reply, limit=10_000)
