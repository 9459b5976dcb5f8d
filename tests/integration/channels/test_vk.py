"""The VK adapter on real NATS with the store, against a local fake VK API driven by the real
vk-api client: Callback API events in, replies out, errors, idempotency and long poll."""

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client

from contracts import commands as c
from contracts import subjects
from contracts.messages import Button
from contracts.typing import Typing
from services.runtime.files import FileStore
from services.runtime.nats_server import NatsServer
from tests.fakes.vk_api import DENIED, TOO_MANY, FakeVkApi
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
SECRET = "vk-callback-secret-1"
GROUP = 218000001
SAMPLE = (Path(__file__).parents[2] / "fixtures/vk/message_new.json").read_text()


@pytest.fixture(scope="module")
def fake_vk() -> FakeVkApi:
    return FakeVkApi().serve()


def group() -> list[dict[str, Any]]:
    return [{"account": "shop", "group_id": GROUP, "token": "vk1.a.token",
             "confirmation": "a1b2c3d4", "secret": SECRET}]  # fmt: skip


def vk_env(fake_vk: FakeVkApi, **extra: str) -> dict[str, str]:
    return {"RELAYDESK_VK_GROUPS": json.dumps(group()),
            "RELAYDESK_VK_API_BASE": f"{fake_vk.url}/method/", **extra}  # fmt: skip


@pytest.fixture
def stack(nats_server: NatsServer, nc: Client, data_dir: Path, fake_vk: FakeVkApi) -> Iterator[str]:
    fake_vk.sent.clear()
    fake_vk.calls.clear()
    fake_vk.failures.clear()
    fake_vk.users[51234567] = ("Ольга", "Смирнова")
    fake_vk.files["photo-x.jpg"] = b"\xff\xd8\xff photo"
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    vk = ServiceProcess("vk", nats_server.url, data_dir, **vk_env(fake_vk)).start()
    yield vk
    vk.stop()
    store.stop()


def sample(fake_vk: FakeVkApi, **changes: Any) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(SAMPLE.replace("FAKE", fake_vk.url))
    found["object"]["message"].update(changes)
    return found


async def post(vk: ServiceProcess, event: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(f"{vk.url}/vk/shop/callback", json=event)


async def test_the_confirmation_handshake_answers_the_code(stack: ServiceProcess) -> None:
    answer = await post(stack, {"type": "confirmation", "group_id": GROUP, "secret": SECRET})

    assert (answer.status_code, answer.text) == (200, "a1b2c3d4")


async def test_a_wrong_secret_is_refused_and_nothing_is_stored(
    stack: ServiceProcess, nc: Client, fake_vk: FakeVkApi
) -> None:
    forged = {**sample(fake_vk), "secret": "guess"}

    answer = await post(stack, forged)

    await asyncio.sleep(0.5)
    assert answer.status_code == 401
    assert await tickets(nc) == []


async def test_a_message_becomes_a_ticket_once_however_often_vk_retries(
    stack: ServiceProcess, nc: Client, fake_vk: FakeVkApi
) -> None:
    first = await post(stack, sample(fake_vk))
    again = await post(stack, sample(fake_vk))

    detail = await one_ticket(nc)
    assert (first.text, again.text) == ("ok", "ok")
    assert len(detail.messages) == 1
    assert detail.contact is not None and detail.contact.name == "Ольга Смирнова"
    assert [a.ref is not None for a in detail.messages[0].attachments] == [True]


async def test_an_edit_changes_the_message_and_our_own_reply_is_not_imported(
    stack: ServiceProcess, nc: Client, fake_vk: FakeVkApi
) -> None:
    await post(stack, sample(fake_vk))
    await one_ticket(nc)
    edited = {**sample(fake_vk)["object"]["message"], "text": "Заказ пришёл", "update_time": 9}
    ours = {**sample(fake_vk)["object"]["message"], "id": 702, "out": 1, "text": "Ответ"}

    await post(
        stack, {"type": "message_edit", "group_id": GROUP, "secret": SECRET, "object": edited}
    )
    await post(
        stack, {"type": "message_reply", "group_id": GROUP, "secret": SECRET, "object": ours}
    )

    async with asyncio.timeout(10):
        while (detail := await one_ticket(nc)).messages[0].text != "Заказ пришёл":
            await asyncio.sleep(0.1)
    assert len(detail.messages) == 1 and detail.messages[0].edited


async def test_a_reply_goes_out_once_after_too_many_requests(
    stack: ServiceProcess, nc: Client, fake_vk: FakeVkApi
) -> None:
    await post(stack, sample(fake_vk))
    ticket = (await one_ticket(nc)).ticket
    fake_vk.fail_next(TOO_MANY)

    await reply(nc, ticket.id, "Проверяем заказ")

    async with asyncio.timeout(20):
        while not fake_vk.sent:
            await asyncio.sleep(0.1)
    sends = [p for name, p in fake_vk.calls if name == "messages.send"]
    assert [s.message for s in fake_vk.sent] == ["Проверяем заказ"]
    assert len(sends) == 2 and sends[0]["random_id"] == sends[1]["random_id"]
    assert sends[0]["peer_id"] == "51234567"


async def test_a_customer_who_denied_messages_fails_the_reply_with_the_reason(
    stack: ServiceProcess, nc: Client, fake_vk: FakeVkApi
) -> None:
    await post(stack, sample(fake_vk))
    ticket = (await one_ticket(nc)).ticket
    fake_vk.fail_next(DENIED)

    await reply(nc, ticket.id, "Ответ")

    async with asyncio.timeout(20):
        while True:
            out = [m for m in (await one_ticket(nc)).messages if m.direction == "outbound"]
            if out and out[-1].delivery_status == "failed":
                break
            await asyncio.sleep(0.1)
    assert out[-1].delivery_reason is not None and "901" in out[-1].delivery_reason


async def test_long_poll_resumes_after_a_restart_with_nothing_lost_or_repeated(
    nats_server: NatsServer, nc: Client, data_dir: Path, fake_vk: FakeVkApi
) -> None:
    fake_vk.events.clear()
    fake_vk.events.extend(sample(fake_vk, id=800 + n, text=f"лп {n}") for n in range(3))
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    env = vk_env(fake_vk, RELAYDESK_VK_MODE="longpoll")
    vk = ServiceProcess("vk", nats_server.url, data_dir, **env).start()
    try:
        await one_ticket(nc, messages=3)
        vk.stop()
        fake_vk.events.extend(sample(fake_vk, id=900 + n, text=f"после {n}") for n in range(2))
        vk.start()
        detail = await one_ticket(nc, messages=5)
    finally:
        vk.stop()
        store.stop()

    texts = [m.text.split("\n")[0] for m in detail.messages]
    assert sorted(texts) == sorted([f"лп {n}" for n in range(3)] + [f"после {n}" for n in range(2)])


async def test_killed_with_replies_in_flight_each_is_shown_once_and_none_is_uncertain(
    stack: ServiceProcess, nc: Client, fake_vk: FakeVkApi
) -> None:
    """VK drops a message whose `random_id` it has seen in the chat: a part cut off by the
    kill is simply sent again, never reported as uncertain."""
    for n in range(20):
        await post(stack, sample(fake_vk, id=3000 + n, peer_id=7000 + n, from_id=7000 + n))
    chats = await ticket_ids(nc, 20)
    fake_vk.delay = 0.05
    texts = await reply_many(nc, chats, 10)
    async with asyncio.timeout(20):
        while len(fake_vk.sent) < 50:
            await asyncio.sleep(0.01)
    try:
        stack.kill()
        delivered_before = len(fake_vk.sent)
        stack.start()
        await replies_final(nc, ("sent",))
    finally:
        fake_vk.delay = 0.0

    counts = Counter(s.message for s in fake_vk.sent)
    assert 50 <= delivered_before < len(texts)
    assert sorted(counts) == sorted(texts) and max(counts.values()) == 1


async def test_files_go_through_the_upload_servers_and_buttons_as_a_keyboard(
    stack: ServiceProcess, nc: Client, fake_vk: FakeVkApi, data_dir: Path
) -> None:
    await post(stack, sample(fake_vk))
    ticket = (await one_ticket(nc)).ticket
    files = FileStore.under(data_dir, 20)
    photo = files.save(b"\xff\xd8\xff jpeg", "фото.jpg", "image/jpeg")
    act = files.save(b"%PDF-1.4 act", "акт.pdf", "application/pdf")

    command = c.AddReply(
        actor="agent-1",
        ticket_id=ticket.id,
        text="Фото и акт",
        attachments=[photo, act],
        buttons=[[Button(text="Всё понятно", data="ok")]],
    )
    answer = await nc.request(subjects.command("reply"), command.to_bytes(), 5)
    assert c.COMMAND_REPLY.validate_json(answer.data).ok
    async with asyncio.timeout(20):
        while not fake_vk.sent:
            await asyncio.sleep(0.1)

    (sent,) = fake_vk.sent
    send = next(p for name, p in fake_vk.calls if name == "messages.send")
    assert (sent.message, sent.attachment) == ("Фото и акт", "photo-1_101,doc-1_202")
    assert json.loads(send["keyboard"])["buttons"][0][0]["action"]["label"] == "Всё понятно"


async def test_an_agent_typing_shows_in_the_vk_chat(
    stack: ServiceProcess, nc: Client, fake_vk: FakeVkApi
) -> None:
    await post(stack, sample(fake_vk))
    ticket = (await one_ticket(nc)).ticket
    typing = Typing(
        channel="vk", account="shop", thread_key="51234567", who="agent", ticket_id=ticket.id
    )

    await nc.publish(subjects.typing_agent("vk"), typing.to_bytes())

    async with asyncio.timeout(10):
        while not any(name == "messages.setActivity" for name, _ in fake_vk.calls):
            await asyncio.sleep(0.05)
    params = next(p for name, p in fake_vk.calls if name == "messages.setActivity")
    assert (params["peer_id"], params["type"]) == ("51234567", "typing")


async def test_after_message_deny_a_reply_fails_at_once_and_is_not_sent(
    stack: ServiceProcess, nc: Client, fake_vk: FakeVkApi
) -> None:
    await post(stack, sample(fake_vk))
    ticket = (await one_ticket(nc)).ticket
    deny = {"type": "message_deny", "group_id": GROUP, "event_id": "d1", "v": "5.199",
            "secret": SECRET, "object": {"user_id": 51234567}}  # fmt: skip

    assert (await post(stack, deny)).text == "ok"
    async with asyncio.timeout(10):
        while not (await one_ticket(nc)).contact.refused:  # type: ignore[union-attr]
            await asyncio.sleep(0.1)
    await reply(nc, ticket.id, "Не дойдёт")

    out = [m for m in (await one_ticket(nc)).messages if m.direction == "outbound"]
    assert out[-1].delivery_status == "failed"
    assert "turned off messages" in (out[-1].delivery_reason or "")
    assert not any(name == "messages.send" for name, _ in fake_vk.calls)
