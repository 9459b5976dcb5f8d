"""A VK event (Callback API or Bots Long Poll, API 5.103+) as an `InboundMessage`. Pure.

https://dev.vk.com/ru/api/community-events/json-schema ; message objects:
https://dev.vk.com/ru/reference/objects/message
"""

import json
from datetime import UTC, datetime
from typing import Any, Literal

from channels._adapter.intake import InvalidPayload, Skipped
from contracts.menus import is_choice
from contracts.messages import Attachment, InboundMessage, Sender

__all__ = ["InvalidEvent", "Skipped", "normalize"]
NOT_MESSAGES = {
    "message_reply": "our own outgoing message, not the customer's",
    "message_read": "a read receipt",
    "message_typing_state": "the customer is typing",
    "confirmation": "the Callback API handshake",
}


# client_info.lang_id: https://dev.vk.com/ru/reference/objects/client-info
LANGUAGES = {0: "ru", 1: "uk", 2: "be", 3: "en", 4: "es", 5: "fi", 6: "de", 7: "it"}


class InvalidEvent(InvalidPayload):
    """Not shaped as VK documents it: kept for inspection, never retried."""


def normalize(event: dict[str, Any], account: str) -> InboundMessage | Skipped:
    kind = event.get("type")
    if kind in ("message_allow", "message_deny"):
        return _consent(event, account, "allowed" if kind == "message_allow" else "denied")
    if kind in NOT_MESSAGES:
        return Skipped(NOT_MESSAGES[str(kind)])
    obj = event.get("object")
    if not isinstance(obj, dict):
        raise InvalidEvent("an event without its object")
    if kind == "message_new":
        message = obj.get("message", obj)  # 5.103+ wraps it beside client_info
        found = _message(message, account, edit=False)
        info = obj.get("client_info")
        lang_id = info.get("lang_id") if isinstance(info, dict) else None
        language = LANGUAGES.get(lang_id) if isinstance(lang_id, int) else None
        if isinstance(found, InboundMessage) and language:
            found.sender.language = language
        return found
    if kind == "message_edit":
        return _message(obj, account, edit=True)
    return Skipped(f"event {kind!r} is not a message")


def _consent(
    event: dict[str, Any], account: str, consent: Literal["allowed", "denied"]
) -> InboundMessage:
    """The customer allowed or turned off the community's messages: kept on the contact."""
    obj = event.get("object")
    user = obj.get("user_id") if isinstance(obj, dict) else None
    if not isinstance(user, int):
        raise InvalidEvent(f"{event.get('type')} without user_id")
    return InboundMessage(
        channel="vk",
        account=account,
        thread_key=str(user),
        external_id=f"{event.get('type')}:{user}:{event.get('event_id', '')}",
        sender=Sender(channel_user_id=str(user)),
        consent=consent,
    )


def _message(m: Any, account: str, edit: bool) -> InboundMessage | Skipped:
    if not isinstance(m, dict) or not isinstance(m.get("peer_id"), int):
        raise InvalidEvent("a message without peer_id")
    if m.get("out") == 1:
        return Skipped("our own outgoing message")
    message_id = m.get("id") or m.get("conversation_message_id")
    if not isinstance(message_id, int):
        raise InvalidEvent("a message without id")
    from_id = m.get("from_id", m["peer_id"])
    text = str(m.get("text") or "")
    extra: list[str] = []
    attachments = [a for a in (_attachment(x, extra) for x in m.get("attachments") or []) if a]
    if geo := m.get("geo"):
        coordinates = geo.get("coordinates", {}) if isinstance(geo, dict) else {}
        extra.append(f"📍 {coordinates.get('latitude')}, {coordinates.get('longitude')}")
    choice = _choice(m.get("payload"))
    if (payload := m.get("payload")) and choice is None:
        extra.append(f"[button] {payload}")
    for forwarded in m.get("fwd_messages") or []:
        if isinstance(forwarded, dict):
            extra.append(f"» {forwarded.get('text') or ''}".rstrip())
    references = []
    if isinstance(reply := m.get("reply_message"), dict) and reply.get("id"):
        references.append(str(reply["id"]))
    external = str(message_id)
    return InboundMessage(
        channel="vk",
        account=account,
        thread_key=str(m["peer_id"]),
        external_id=f"{external}:edit:{m.get('update_time', 0)}" if edit else external,
        edit_of_external_id=external if edit else None,
        sender=Sender(channel_user_id=str(from_id)),
        text="\n".join([text, *extra]).strip(),
        attachments=attachments,
        references=references,
        choice=choice,
        sent_at=_when(m.get("date")),
    )


def _choice(payload: Any) -> str | None:
    """Our keyboard's payload, `{"data": "<choice>"}` (see channels/vk/send.py)."""
    try:
        data = json.loads(payload).get("data") if isinstance(payload, str) else None
    except (ValueError, AttributeError):
        return None
    return data if isinstance(data, str) and is_choice(data) else None


def _attachment(item: Any, extra: list[str]) -> Attachment | None:
    """Photos, documents and voice messages as files to download; a sticker as text."""
    if not isinstance(item, dict):
        return None
    kind = item.get("type")
    body = item.get(kind) if isinstance(kind, str) else None
    if not isinstance(body, dict):
        return None
    if kind == "photo":
        sizes = [s for s in body.get("sizes") or [] if isinstance(s, dict) and s.get("url")]
        best = max(
            sizes, key=lambda s: int(s.get("width", 0)) * int(s.get("height", 0)), default=None
        )
        if best is None:
            return None
        return Attachment(name=f"photo{body.get('id', '')}.jpg", content_type="image/jpeg",
                          size=0, external_id=str(best["url"]))  # fmt: skip
    if kind == "doc" and body.get("url"):
        name = str(body.get("title") or "document")
        return Attachment(name=name, size=int(body.get("size") or 0), external_id=str(body["url"]))
    if kind == "audio_message" and body.get("link_ogg"):
        return Attachment(name="voice.ogg", content_type="audio/ogg", size=0,
                          external_id=str(body["link_ogg"]))  # fmt: skip
    if kind == "sticker":
        extra.append(f"[sticker {body.get('sticker_id', '')}]")
    return None


def _when(epoch: Any) -> datetime | None:
    if not isinstance(epoch, int):
        return None
    try:
        return datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise InvalidEvent(f"date {epoch!r} is out of range") from error
