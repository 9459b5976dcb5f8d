"""The Viber adapter on real NATS with the store, against a local fake Viber API: signed
webhooks in, replies out, receipts, errors and exactly-once."""

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client

from channels.viber.webhook import signature
from contracts import commands as c
from contracts import subjects
from services.runtime.files import FileStore
from services.runtime.nats_server import NatsServer
from tests.fakes.viber_api import NOT_SUBSCRIBED, TOO_MANY, FakeViberApi
from tests.fullstack import free_port
from tests.integration.channels.test_telegram import (
    one_ticket,
    replies_final,
    reply,
    reply_many,
    ticket_ids,
    tickets,
)
from tests.integration.processes import ServiceProcess

pytestmark = pytest.mark.integration
TOKEN = "viber-token-1"
CORPUS = Path(__file__).resolve().parents[2] / "fixtures/corpora/viber"
SAMPLE = json.loads((CORPUS / "viber-bot-python/unicode_request.json").read_text())


@pytest.fixture(scope="module")
def fake_viber() -> FakeViberApi:
    return FakeViberApi().serve()


@pytest.fixture
def stack(
    nats_server: NatsServer, nc: Client, data_dir: Path, fake_viber: FakeViberApi
) -> Iterator[ServiceProcess]:
    fake_viber.sent.clear()
    fake_viber.calls.clear()
    fake_viber.failures.clear()
    bots = [{"account": "shop", "token": TOKEN, "name": "Магазин", "welcome": "Здравствуйте!"}]
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    viber = ServiceProcess(
        "viber", nats_server.url, data_dir,
        RELAYDESK_VIBER_BOTS=json.dumps(bots),
        RELAYDESK_VIBER_API_BASE=f"{fake_viber.url}/pa/",
    ).start()  # fmt: skip
    yield viber
    viber.stop()
    store.stop()


async def post(
    viber: ServiceProcess, event: dict[str, Any], sign: str | None = None
) -> httpx.Response:
    body = json.dumps(event, ensure_ascii=False).encode()
    given = signature(TOKEN.encode(), body) if sign is None else sign
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{viber.url}/viber/shop/webhook",
            content=body,
            headers={"X-Viber-Content-Signature": given, "Content-Type": "application/json"},
        )


def receipt(kind: str, token: str) -> dict[str, Any]:
    return {"event": kind, "timestamp": 1457764197700, "message_token": int(token),
            "user_id": SAMPLE["sender"]["id"]}  # fmt: skip


async def outbound(nc: Client, status: str | None = None) -> Any:
    async with asyncio.timeout(20):
        while True:
            out = [m for m in (await one_ticket(nc)).messages if m.direction == "outbound"]
            if out and (status is None or out[-1].delivery_status == status):
                return out[-1]
            await asyncio.sleep(0.1)


async def test_the_sdks_signature_test_vector_holds() -> None:
    vector = json.loads((CORPUS / "signature/signature_test_vector.json").read_text())

    assert (
        signature(vector["auth_token"].encode(), vector["body"].encode())
        == vector["expected_signature"]
    )


async def test_a_wrong_or_missing_signature_is_refused_and_nothing_is_stored(
    stack: ServiceProcess, nc: Client
) -> None:
    wrong = await post(stack, SAMPLE, sign="0" * 64)
    missing = await post(stack, SAMPLE, sign="")

    await asyncio.sleep(0.5)
    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert await tickets(nc) == []


async def test_a_message_becomes_a_ticket_once_however_often_viber_repeats_it(
    stack: ServiceProcess, nc: Client
) -> None:
    first = await post(stack, SAMPLE)
    again = await post(stack, SAMPLE)

    detail = await one_ticket(nc)
    assert (first.status_code, again.status_code) == (200, 200)
    assert len(detail.messages) == 1
    assert detail.messages[0].text == SAMPLE["message"]["text"]
    assert detail.contact is not None and detail.contact.name == SAMPLE["sender"]["name"]


async def test_delivered_then_seen_and_a_late_delivered_never_moves_back(
    stack: ServiceProcess, nc: Client, fake_viber: FakeViberApi
) -> None:
    await post(stack, SAMPLE)
    await reply(nc, (await one_ticket(nc)).ticket.id, "Проверяем")
    sent = await outbound(nc, "sent")
    token = str(fake_viber.sent[0]["message_token"])

    await post(stack, receipt("delivered", token))
    await outbound(nc, "delivered")
    await post(stack, receipt("seen", token))
    await outbound(nc, "read")
    await post(stack, receipt("delivered", token))

    await asyncio.sleep(1.0)
    assert (await outbound(nc)).delivery_status == "read"
    assert sent.external_id == token
    assert fake_viber.sent[0]["receiver"] == SAMPLE["sender"]["id"]
    assert fake_viber.sent[0]["sender"]["name"] == "Магазин"


async def test_too_many_requests_is_retried_into_one_message(
    stack: ServiceProcess, nc: Client, fake_viber: FakeViberApi
) -> None:
    await post(stack, SAMPLE)
    fake_viber.fail_next(TOO_MANY)

    await reply(nc, (await one_ticket(nc)).ticket.id, "Ответ")

    await outbound(nc, "sent")
    assert [m["text"] for m in fake_viber.sent] == ["Ответ"]
    assert sum(1 for name, _ in fake_viber.calls if name == "send_message") == 2


async def test_a_customer_not_subscribed_fails_the_reply_with_the_reason(
    stack: ServiceProcess, nc: Client, fake_viber: FakeViberApi
) -> None:
    await post(stack, SAMPLE)
    fake_viber.fail_next(NOT_SUBSCRIBED)

    await reply(nc, (await one_ticket(nc)).ticket.id, "Ответ")

    failed = await outbound(nc, "failed")
    assert "has not subscribed" in (failed.delivery_reason or "")


async def test_after_unsubscribed_a_reply_fails_at_once_and_is_not_sent(
    stack: ServiceProcess, nc: Client, fake_viber: FakeViberApi
) -> None:
    await post(stack, SAMPLE)
    gone = {"event": "unsubscribed", "timestamp": 1457764197800, "message_token": 1,
            "user_id": SAMPLE["sender"]["id"]}  # fmt: skip
    assert (await post(stack, gone)).status_code == 200
    async with asyncio.timeout(10):
        while not (await one_ticket(nc)).contact.refused:  # type: ignore[union-attr]
            await asyncio.sleep(0.1)

    await reply(nc, (await one_ticket(nc)).ticket.id, "Не дойдёт")

    failed = await outbound(nc, "failed")
    assert "turned off messages" in (failed.delivery_reason or "")
    assert fake_viber.sent == []


async def test_conversation_started_is_answered_with_the_welcome(stack: ServiceProcess) -> None:
    opened = {"event": "conversation_started", "timestamp": 1457764197900, "message_token": 2,
              "type": "open", "user": SAMPLE["sender"], "subscribed": False}  # fmt: skip

    answer = await post(stack, opened)

    assert answer.json() == {"sender": {"name": "Магазин"}, "type": "text", "text": "Здравствуйте!"}


async def test_killed_with_replies_in_flight_none_is_sent_twice(
    stack: ServiceProcess, nc: Client, fake_viber: FakeViberApi
) -> None:
    """Viber cannot be asked whether it got a message: a reply in its hands when the adapter
    died is failed as uncertain, never sent again; every other goes out exactly once."""
    for n in range(20):
        await post(stack, {**SAMPLE, "message_token": 100 + n, "sender": {"id": f"u{n}="}})
    chats = await ticket_ids(nc, 20)
    fake_viber.delay = 0.05
    texts = await reply_many(nc, chats, 10)
    async with asyncio.timeout(20):
        while len(fake_viber.sent) < 50:
            await asyncio.sleep(0.01)
    try:
        stack.kill()
        stack.start()
        replies = await replies_final(nc)
    finally:
        fake_viber.delay = 0.0

    counts = Counter(str(m["text"]) for m in fake_viber.sent)
    failed = [m for m in replies if m.delivery_status == "failed"]
    assert len(replies) == len(texts) and max(counts.values()) == 1
    assert len(failed) <= len(chats)


async def test_a_picture_goes_out_as_a_signed_link_viber_can_fetch_and_nobody_can_forge(
    nats_server: NatsServer, nc: Client, data_dir: Path, fake_viber: FakeViberApi
) -> None:
    fake_viber.sent.clear()
    port = free_port()
    bots = [{"account": "shop", "token": TOKEN}]
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    viber = ServiceProcess(
        "viber", nats_server.url, data_dir,
        RELAYDESK_VIBER_BOTS=json.dumps(bots),
        RELAYDESK_VIBER_API_BASE=f"{fake_viber.url}/pa/",
        RELAYDESK_VIBER_PORT=str(port),
        RELAYDESK_VIBER_PUBLIC_URL=f"http://127.0.0.1:{port}",
    ).start()  # fmt: skip
    try:
        await post(viber, SAMPLE)
        ticket = (await one_ticket(nc)).ticket
        photo = FileStore.under(data_dir, 20).save(b"\xff\xd8\xff jpeg", "фото.jpg", "image/jpeg")
        command = c.AddReply(actor="a1", ticket_id=ticket.id, text="Фото", attachments=[photo])
        await nc.request(subjects.command("reply"), command.to_bytes(), 5)
        await outbound(nc, "sent")
        text, picture = fake_viber.sent
        async with httpx.AsyncClient(timeout=5) as client:
            fetched = await client.get(picture["media"])
            forged = await client.get(picture["media"][:-4] + "0000")
    finally:
        viber.stop()
        store.stop()

    assert (text["text"], picture["type"]) == ("Фото", "picture")
    assert (fetched.status_code, fetched.content) == (200, b"\xff\xd8\xff jpeg")
    assert forged.status_code == 404
