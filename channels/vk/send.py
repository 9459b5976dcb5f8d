"""An `OutboundMessage` sent with `messages.send`, and VK's error codes mapped to what the
adapter framework does next. https://dev.vk.com/ru/reference/errors

`random_id` is derived from the outbound id and the part: VK drops a second message with the
same `random_id` in a chat, so a part resent after a crash is never shown twice
(`Capabilities.idempotent`)."""

import asyncio
import hashlib
import io
import json

import requests
from vk_api.exceptions import ApiError, ApiHttpError, VkApiError

from channels._adapter.capabilities import Capabilities, Part
from channels._adapter.outcome import Failed, Outcome, Retry, Sent
from channels.vk.client import Community
from contracts.messages import Attachment, Button, OutboundMessage
from services.runtime.files import FileStore

CAPABILITIES = Capabilities(text_limit=4096, idempotent=True)
RETRY = {6: "too many requests", 9: "flood control", 10: "VK internal error"}
PERMANENT = {
    7: "no permission for this action",
    15: "access denied",
    901: "the customer has not allowed messages from the community",
    902: "the customer's privacy settings forbid messages",
    917: "the community has no access to this conversation",
}


def random_id(out: OutboundMessage, part: Part) -> int:
    """A positive int32 from the outbound id and the part's index."""
    digest = hashlib.sha256(f"{out.id}:{part.index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def keyboard(rows: list[list[Button]]) -> str | None:
    if not rows:
        return None
    buttons = [
        [
            {"action": {"type": "open_link", "link": b.url, "label": b.text[:40]}}
            if b.url
            else {
                "action": {
                    "type": "text",
                    "label": b.text[:40],
                    "payload": json.dumps({"data": b.data or b.text}),
                }
            }
            for b in row
        ]
        for row in rows
    ]
    return json.dumps({"inline": True, "buttons": buttons}, ensure_ascii=False)


async def deliver(
    community: Community, out: OutboundMessage, part: Part, files: FileStore
) -> Outcome:
    try:
        attached = [await _upload(community, out, a, files) for a in part.attachments]
        params: dict[str, object] = {
            "peer_id": int(out.thread_key),
            "random_id": random_id(out, part),
            "message": part.text,
        }
        if attached:
            params["attachment"] = ",".join(attached)
        if part.last and (markup := keyboard(out.buttons)):
            params["keyboard"] = markup
        sent = await community.call("messages.send", **params)
    except FileNotFoundError as error:
        return Failed(str(error))
    except ApiError as error:
        if error.code in RETRY:
            return Retry(
                f"{RETRY[error.code]} ({error.code})", after=1.0 if error.code == 6 else None
            )
        reason = PERMANENT.get(error.code, str(error.error.get("error_msg", "")))
        return Failed(f"VK error {error.code}: {reason}")
    except (ApiHttpError, VkApiError, requests.RequestException, OSError) as error:
        return Retry(f"network: {error}")
    return Sent(str(sent))


async def _upload(
    community: Community, out: OutboundMessage, a: Attachment, files: FileStore
) -> str:
    """`photo<owner>_<id>` or `doc<owner>_<id>` for messages.send, through VK's upload servers."""
    data = files.read(a.ref)
    if data is None:
        raise FileNotFoundError(f"attachment not found: {a.name}")
    peer = int(out.thread_key)
    if a.content_type.startswith("image/"):
        photo = io.BytesIO(data)
        photo.name = a.name
        saved = await asyncio.to_thread(community.upload.photo_messages, [photo], peer)
        return f"photo{saved[0]['owner_id']}_{saved[0]['id']}"
    doc = io.BytesIO(data)
    doc.name = a.name
    saved = await asyncio.to_thread(community.upload.document_message, doc, a.name, None, peer)
    found = saved.get("doc", saved)
    return f"doc{found['owner_id']}_{found['id']}"
