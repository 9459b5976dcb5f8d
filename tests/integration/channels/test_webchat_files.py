"""Files in the web chat, on real NATS with the store: a visitor uploads and sends them, an
agent's attachments reach the visitor, and nobody reads or attaches another visitor's files."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from nats.aio.client import Client

from services.runtime.files import FileStore
from tests.integration.channels.webchat import (
    ORIGIN,
    Visitor,
    agent_reply,
    next_frame,
    ticket_of,
)

pytestmark = pytest.mark.integration
PDF = b"%PDF-1.4\n% \xd0\xa1\xd1\x87\xd1\x91\xd1\x82 " + bytes(range(256)) * 40


def files_url(chat: str) -> str:
    return chat.replace("ws://", "http://").removesuffix("/ws") + "/files"


async def upload(
    chat: str, token: str, data: bytes, content_type: str, origin: str = ORIGIN
) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(
            files_url(chat),
            params={"name": "счёт №5.pdf"},
            content=data,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": content_type,
                "Origin": origin,
            },
        )


async def download(chat: str, token: str, ref: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(
            f"{files_url(chat)}/{ref.removeprefix('file:')}",
            headers={"Authorization": f"Bearer {token}", "Origin": ORIGIN},
        )


async def send_files(
    ws: websockets.ClientConnection, message_id: str, text: str, *files: dict[str, Any]
) -> None:
    frame = {"type": "message", "id": message_id, "text": text, "files": list(files)}
    await ws.send(json.dumps(frame, ensure_ascii=False))


async def test_a_visitor_sends_a_file_that_lands_on_the_ticket(chat: str, nc: Client) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        visitor = await Visitor(ws).hello()
        uploaded = await upload(chat, visitor.token, PDF, "application/pdf")
        assert uploaded.status_code == 201, uploaded.text

        await send_files(ws, "f1", "", uploaded.json())
        answer = await visitor.answer()
        back = await download(chat, visitor.token, uploaded.json()["ref"])

    ticket = await ticket_of(nc, visitor.token)
    [attachment] = ticket.messages[0].attachments
    assert answer["type"] == "ack"
    assert (attachment.name, attachment.size, attachment.ref) == (
        "счёт №5.pdf",
        len(PDF),
        uploaded.json()["ref"],
    )
    assert back.content == PDF and "attachment" in back.headers["content-disposition"]


async def test_another_visitor_can_neither_read_nor_attach_that_file(chat: str) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        alice = await Visitor(ws).hello()
        uploaded = (await upload(chat, alice.token, PDF, "application/pdf")).json()
        await send_files(ws, "a1", "вот", uploaded)
        await alice.answer()
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        mallory = await Visitor(ws).hello()

        read = await download(chat, mallory.token, uploaded["ref"])
        await send_files(ws, "m1", "моё", uploaded)
        attached = await mallory.answer()

    assert read.status_code == 404
    assert attached["type"] == "error"


@pytest.mark.parametrize("webchat_env", [{"RELAYDESK_WEBCHAT_MAX_FILE_MB": "1"}])
async def test_uploads_outside_the_limits_are_refused(chat: str) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        visitor = await Visitor(ws).hello()

        page = await upload(chat, visitor.token, b"<script>alert(1)</script>", "text/html")
        huge = await upload(chat, visitor.token, b"x" * 1_100_000, "application/pdf")
        anonymous = await upload(chat, "forged.token", PDF, "application/pdf")
        foreign = await upload(chat, visitor.token, PDF, "application/pdf", "https://evil.test")

    assert [r.status_code for r in (page, huge, anonymous, foreign)] == [415, 413, 401, 403]


async def test_an_agents_attachment_reaches_the_visitor(
    chat: str, nc: Client, data_dir: Path
) -> None:
    saved = FileStore.under(data_dir, 10).save(PDF, "договор.pdf", "application/pdf")
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        visitor = await Visitor(ws).hello()
        await visitor.say("q1", "Пришлите договор")
        ticket = await ticket_of(nc, visitor.token)

        await agent_reply(nc, ticket.ticket.id, "Договор во вложении", attachments=[saved])
        line = (await next_frame(ws, "line"))["line"]
        back = await download(chat, visitor.token, saved.ref or "")

    assert [f["name"] for f in line["files"]] == ["договор.pdf"]
    assert back.status_code == 200 and back.content == PDF


@pytest.mark.parametrize("webchat_env", [{"RELAYDESK_WEBCHAT_UPLOAD_VISITOR_MB": "1"}])
async def test_a_visitor_uploading_past_their_hourly_bytes_is_refused(chat: str) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:
        visitor = await Visitor(ws).hello()
        big = b"%PDF-1.4 " + b"x" * 600_000

        first = await upload(chat, visitor.token, big, "application/pdf")
        second = await upload(chat, visitor.token, big + b"!", "application/pdf")

    assert first.status_code == 201
    assert second.status_code == 429 and "per visitor and hour" in second.json()["detail"]


@pytest.mark.parametrize("webchat_env", [{"RELAYDESK_WEBCHAT_UPLOAD_STORAGE_MB": "1"}])
async def test_uploads_past_the_storage_cap_are_refused_with_a_clear_error(chat: str) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:
        visitor = await Visitor(ws).hello()
        big = b"%PDF-1.4 " + b"y" * 600_000

        first = await upload(chat, visitor.token, big, "application/pdf")
        second = await upload(chat, visitor.token, big + b"!", "application/pdf")

    assert first.status_code == 201
    assert second.status_code == 507 and "storage is full" in second.json()["detail"]


async def test_an_upload_sent_in_a_message_leaves_the_waiting_area(
    chat: str, data_dir: Path
) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:
        visitor = await Visitor(ws).hello()
        sent = (await upload(chat, visitor.token, PDF, "application/pdf")).json()
        unused = (await upload(chat, visitor.token, PDF + b"2", "application/pdf")).json()

        await send_files(ws, "f1", "счёт", sent)
        await next_frame(ws, "ack")

    waiting = FileStore(data_dir / "webchat-uploads", 10**7)
    kept = FileStore.under(data_dir, 10)
    assert waiting.path(sent["ref"].removeprefix("file:")) is None
    assert kept.read(sent["ref"]) == PDF
    assert waiting.path(unused["ref"].removeprefix("file:")) is not None
