"""A Telegram update as an `InboundMessage`. Pure.

Works on the update's JSON rather than python-telegram-bot's `Update` objects: real payloads
(old clients, other bots' test data) omit fields the library insists on, and a webhook must
never reject a customer's message over a missing `chat.type`.

Threads: one per chat, so a group is one ticket and every message keeps its own sender.
External ids: `<chat>:<message id>` (Telegram numbers messages per chat).
"""

from datetime import UTC, datetime
from typing import Any

from channels._adapter.intake import InvalidPayload, Skipped
from contracts.menus import is_choice
from contracts.messages import Attachment, InboundMessage, Sender

TEXT_LIMIT = 100_000
__all__ = ["InvalidUpdate", "Skipped", "normalize"]


class InvalidUpdate(InvalidPayload):
    """An update whose shape is not Telegram's (a field of the wrong type, a message without
    a chat): it is kept for inspection and never retried."""


def normalize(update: Any, account: str) -> InboundMessage | Skipped:
    """The message in `update`, `Skipped` when it holds none, or `InvalidUpdate` /
    pydantic's `ValidationError` when it is not a Telegram update at all."""
    if not isinstance(update, dict):
        raise InvalidUpdate(f"an update is a JSON object, not {type(update).__name__}")
    try:
        return _normalize(update, account)
    except (KeyError, TypeError, AttributeError, IndexError, OverflowError) as error:
        raise InvalidUpdate(f"not a Telegram update: {type(error).__name__}: {error}") from error


def _normalize(update: dict[str, Any], account: str) -> InboundMessage | Skipped:
    if "callback_query" in update:
        return _callback(update["callback_query"], account)
    for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if isinstance(update.get(kind), dict):
            return _message(update[kind], account, edited=kind.startswith("edited"))
    kinds = sorted(k for k in update if k != "update_id")
    return Skipped(f"not a message: {', '.join(kinds) or 'empty update'}")


def _sender(person: dict[str, Any] | None, chat: dict[str, Any]) -> Sender:
    who = person or chat  # a channel post has no `from`: the channel speaks
    name = " ".join(x for x in (who.get("first_name"), who.get("last_name")) if x)
    return Sender(
        channel_user_id=str(who.get("id", chat.get("id"))),
        display_name=name or who.get("title") or who.get("username"),
        username=who.get("username"),
        language=who.get("language_code"),
    )


def _when(epoch: Any) -> datetime | None:
    if not isinstance(epoch, int | float):
        return None
    try:
        return datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, OSError, ValueError) as error:  # a date no calendar has
        raise InvalidUpdate(f"date {epoch!r} is out of range") from error


def _message(m: dict[str, Any], account: str, edited: bool) -> InboundMessage | Skipped:
    chat = m.get("chat") or {}
    if "id" not in chat or "message_id" not in m:
        return Skipped("a message without chat or message id")
    key = f"{chat['id']}:{m['message_id']}"
    text, attachments = _content(m)
    hint = None
    if text.startswith("/start "):  # a deep link: t.me/bot?start=<department>
        hint = text.split(maxsplit=1)[1].strip() or None
    reply = m.get("reply_to_message")
    edit_date = m.get("edit_date")
    return InboundMessage(
        channel="telegram",
        account=account,
        thread_key=str(chat["id"]),
        external_id=f"{key}:edit:{edit_date}" if edited else key,
        edit_of_external_id=key if edited else None,
        sender=_sender(m.get("from"), chat),
        text=text[:TEXT_LIMIT],
        attachments=attachments,
        reply_to_external_id=f"{chat['id']}:{reply['message_id']}"
        if isinstance(reply, dict) and "message_id" in reply
        else None,
        department_hint=hint,
        sent_at=_when(edit_date if edited else m.get("date")),
    )


def _file(item: dict[str, Any], name: str, content_type: str, *, mime: bool = True) -> Attachment:
    return Attachment(
        name=item.get("file_name") or name,
        content_type=(item.get("mime_type") if mime else None) or content_type,
        size=_size(item.get("file_size")),
        external_id=item.get("file_id"),
    )


def _size(value: object) -> int:
    """Telegram sends an integer; anything else (a damaged update) counts as unknown, 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _content(m: dict[str, Any]) -> tuple[str, list[Attachment]]:
    """The words and files of a message; what has no words is described in brackets."""
    text = m.get("text") or m.get("caption") or ""
    files: list[Attachment] = []
    if photos := m.get("photo"):
        largest = max(photos, key=lambda p: p.get("file_size") or p.get("width", 0))
        files.append(_file(largest, "photo.jpg", "image/jpeg", mime=False))
    for kind, name, content_type in (
        ("document", "document", "application/octet-stream"),
        ("video", "video.mp4", "video/mp4"),
        ("voice", "voice.ogg", "audio/ogg"),
        ("audio", "audio.mp3", "audio/mpeg"),
        ("video_note", "video_note.mp4", "video/mp4"),
        ("animation", "animation.mp4", "video/mp4"),
    ):
        if isinstance(m.get(kind), dict):
            files.append(_file(m[kind], name, content_type))
    described = _described(m)
    if described and not text:
        text = described
    elif not text and files:
        text = f"[{files[0].name}]"
    return text, files


def _described(m: dict[str, Any]) -> str | None:
    if isinstance(sticker := m.get("sticker"), dict):
        return f"[sticker {sticker.get('emoji', '')}]".replace(" ]", "]")
    if isinstance(contact := m.get("contact"), dict):
        name = " ".join(x for x in (contact.get("first_name"), contact.get("last_name")) if x)
        return f"[contact: {name}, {contact.get('phone_number', '')}]"
    if isinstance(place := m.get("location"), dict):
        return f"[location: {place.get('latitude')}, {place.get('longitude')}]"
    return None


def _label(message: dict[str, Any], data: object) -> str | None:
    """The title of the pressed button, from the keyboard of the message it was under."""
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                return f"▸ {button.get('text', '')}".strip()
    return None


def _callback(q: dict[str, Any], account: str) -> InboundMessage | Skipped:
    message = q.get("message") or {}
    chat = message.get("chat") or {}
    person = q.get("from") or {}
    if "id" not in q or ("id" not in chat and "id" not in person):
        return Skipped("a callback query without chat or sender")
    return InboundMessage(
        channel="telegram",
        account=account,
        thread_key=str(chat.get("id", person.get("id"))),
        external_id=f"callback:{q['id']}",
        sender=_sender(person, chat),
        text=_label(message, q.get("data"))
        or str(q.get("data") or q.get("game_short_name") or "[button]"),
        choice=q["data"] if isinstance(q.get("data"), str) and is_choice(q["data"]) else None,
        reply_to_external_id=f"{chat['id']}:{message['message_id']}"
        if "id" in chat and "message_id" in message
        else None,
    )
