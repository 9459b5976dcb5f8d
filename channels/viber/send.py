"""An `OutboundMessage` sent with `send_message` over httpx, and Viber's `status` codes mapped
to what the adapter framework does next.
https://developers.viber.com/docs/api/rest-bot-api/#send-message

Viber fetches pictures and files from a public address: with `RELAYDESK_VIBER_PUBLIC_URL`
set, the adapter serves each attached file there under a signed, expiring link
(`files.py`); without it a reply carrying files fails with that reason.
"""

import httpx

from channels._adapter.capabilities import Capabilities, Part
from channels._adapter.outcome import Failed, Outcome, Retry, Sent
from channels.viber.settings import ViberBot
from channels.viber.webhook import sender
from contracts.messages import Button, OutboundMessage

CAPABILITIES = Capabilities(text_limit=7000, files_apart=True)
"""7,000 characters per text message; a picture or file is a message of its own."""
RETRY = {12: "too many requests"}
REASONS = {
    5: "the customer is not registered on Viber",
    6: "the customer has not subscribed to the bot",
    7: "the bot is blocked",
    8: "the bot was not found",
    9: "the bot is suspended",
    10: "the bot's webhook is not set",
    11: "the customer has no device that can receive it",
    13: "the API version is not supported",
    15: "the bot is not authorized",
    21: "the customer's country is not supported",
    23: "the bot's free messages are used up",
    24: "the bot has no balance",
}


def keyboard(rows: list[list[Button]]) -> dict[str, object] | None:
    if not rows:
        return None
    buttons = []
    for row in rows:
        width = max(1, 6 // len(row))
        for b in row:
            action = ("open-url", b.url) if b.url else ("reply", b.data or b.text)
            buttons.append({"Columns": width, "Rows": 1, "Text": b.text,
                            "ActionType": action[0], "ActionBody": action[1]})  # fmt: skip
    return {"Type": "keyboard", "DefaultHeight": False, "Buttons": buttons}


async def deliver(
    http: httpx.AsyncClient, base: str, bot: ViberBot, out: OutboundMessage, part: Part,
    media: str | None,
) -> Outcome:  # fmt: skip
    """One part: its text, or its one file as a picture or a file message (`media`: the
    file's public address, None when the adapter has none to give)."""
    body: dict[str, object] = {"receiver": out.thread_key, "min_api_version": 1,
                               "sender": sender(bot), "tracking_data": out.id}  # fmt: skip
    if part.attachments:
        attachment = part.attachments[0]
        if media is None:
            return Failed("files to Viber need RELAYDESK_VIBER_PUBLIC_URL (Viber fetches them)")
        if attachment.content_type.startswith("image/"):
            body |= {"type": "picture", "media": media, "text": ""}
        else:
            body |= {"type": "file", "media": media, "size": attachment.size,
                     "file_name": attachment.name[:256]}  # fmt: skip
    else:
        body |= {"type": "text", "text": part.text}
    if part.last and (markup := keyboard(out.buttons)):
        body["keyboard"] = markup
    headers = {"X-Viber-Auth-Token": bot.token.get_secret_value()}
    try:
        response = await http.post(f"{base.rstrip('/')}/send_message", json=body, headers=headers)
    except httpx.HTTPError as error:
        return Retry(f"network: {error}")
    if response.status_code == 429 or response.status_code >= 500:
        return Retry(f"Viber answered HTTP {response.status_code}")
    try:
        answer = response.json()
        status = int(answer.get("status", -1))
    except (ValueError, AttributeError) as error:
        return Retry(f"an answer Viber never gives: {error}")
    if status == 0:
        return Sent(str(answer["message_token"]))
    if status in RETRY:
        return Retry(f"{RETRY[status]} ({status})", after=1.0)
    message = REASONS.get(status, str(answer.get("status_message", "failed")))
    return Failed(f"Viber status {status}: {message}")
