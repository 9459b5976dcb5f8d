"""A Viber callback as an `InboundMessage` (or a consent). Pure.
https://developers.viber.com/docs/api/rest-bot-api/#callbacks

Receipts (`delivered`, `seen`, `failed`) are not messages: `intake.py` turns them into
delivery reports before this module sees them.
"""

from datetime import UTC, datetime
from typing import Any

from channels._adapter.intake import InvalidPayload, Skipped
from contracts.menus import is_choice
from contracts.messages import Attachment, InboundMessage, Sender

__all__ = ["InvalidCallback", "Skipped", "normalize"]
RECEIPTS = {"delivered": "delivered", "seen": "read", "failed": "failed"}


class InvalidCallback(InvalidPayload):
    """Not shaped as Viber documents it: kept for inspection, never retried."""


def normalize(event: dict[str, Any], account: str) -> InboundMessage | Skipped:
    kind = event.get("event")
    if kind == "message":
        return _message(event, account)
    if kind in ("subscribed", "unsubscribed"):
        user = event.get("user") if kind == "subscribed" else {"id": event.get("user_id")}
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise InvalidCallback(f"{kind} without its user")
        return InboundMessage(
            channel="viber",
            account=account,
            thread_key=user["id"],
            external_id=f"{kind}:{user['id']}:{event.get('message_token', event.get('timestamp'))}",
            sender=_sender(user),
            consent="allowed" if kind == "subscribed" else "denied",
        )
    return Skipped(f"event {kind!r} is not a customer's message")


def _message(event: dict[str, Any], account: str) -> InboundMessage:
    sender, message = event.get("sender"), event.get("message")
    if not isinstance(sender, dict) or not isinstance(sender.get("id"), str):
        raise InvalidCallback("a message without its sender")
    if not isinstance(message, dict) or "message_token" not in event:
        raise InvalidCallback("a message without its body or token")
    kind = message.get("type")
    text = str(message.get("text") or "")
    attachments = []
    media = message.get("media")
    if kind in ("picture", "video", "file") and isinstance(media, str):
        name = str(
            message.get("file_name")
            or {"picture": "picture.jpg", "video": "video.mp4"}.get(kind, "file")
        )
        content_type = {"picture": "image/jpeg", "video": "video/mp4"}.get(
            kind, "application/octet-stream"
        )
        size = int(message.get("size") or 0)
        attachments.append(
            Attachment(name=name, content_type=content_type, size=size, external_id=media)
        )
    elif kind == "sticker":
        text = f"[sticker {message.get('sticker_id', '')}]"
    elif kind == "contact" and isinstance(contact := message.get("contact"), dict):
        text = f"👤 {contact.get('name', '')} {contact.get('phone_number', '')}".strip()
    elif kind == "location" and isinstance(place := message.get("location"), dict):
        text = f"📍 {place.get('lat')}, {place.get('lon')}"
    elif kind == "url":
        text = str(message.get("media") or text)
    # A keyboard button sends its ActionBody as the message's text: ours are choices.
    choice = text if kind == "text" and is_choice(text) else None
    return InboundMessage(
        channel="viber",
        account=account,
        thread_key=sender["id"],
        external_id=str(event["message_token"]),
        sender=_sender(sender),
        text="" if choice else text,
        choice=choice,
        attachments=attachments,
        sent_at=_when(event.get("timestamp")),
    )


def _sender(user: dict[str, Any]) -> Sender:
    return Sender(
        channel_user_id=str(user["id"]),
        display_name=user.get("name") or None,
        language=str(user["language"]).split("-")[0] if user.get("language") else None,
    )


def _when(millis: Any) -> datetime | None:
    if not isinstance(millis, int):
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise InvalidCallback(f"timestamp {millis!r} is out of range") from error
