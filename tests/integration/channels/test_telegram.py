"""The Telegram adapter on real NATS with the store, against a local fake Bot API driven by
the real python-telegram-bot client: webhooks in, replies out, errors and exactly-once."""

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client

from channels.telegram.app import create_app
from channels.telegram.settings import TelegramSettings
from contracts import commands as c
from contracts import queries as q
from contracts import subjects
from contracts.tickets import MessageView
from contracts.typing import Typing
from services.runtime.files import FileStore
from services.runtime.nats_server import NatsServer
from tests.fakes.telegram_api import BLOCKED, BROKEN, TOO_MANY, FakeBotApi
from tests.integration.processes import ServiceProcess

pytestmark = pytest.mark.integration
SECRET = "webhook-secret-1"
CORPUS = Path(__file__).resolve().parents[2] / "fixtures/corpora/telegram"
UPDATE = json.loads((CORPUS / "zammad/private/text.json").read_text())


@pytest.fixture(scope="module")
def fake_api() -> FakeBotApi:
    return FakeBotApi().serve()


@pytest.fixture
def stack(
    nats_server: NatsServer, nc: Client, data_dir: Path, fake_api: FakeBotApi
) -> Iterator[str]:
    fake_api.calls.clear()
    fake_api.failures.clear()
    bots = [{"account": "support_bot", "token": "123:ABC", "secret": SECRET}]
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    telegram = ServiceProcess(
        "telegram", nats_server.url, data_dir,
        RELAYDESK_TELEGRAM_BOTS=json.dumps(bots),
        RELAYDESK_TELEGRAM_API_BASE=f"{fake_api.url}/bot",
    ).start()  # fmt: skip
    assert telegram.url
    yield telegram.url
    telegram.stop()
    store.stop()


async def post(url: str, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{url}/telegram/support_bot/webhook", json=update, headers=headers
        )


async def tickets(nc: Client) -> list[q.TicketDetail]:
    page = q.TicketPage.model_validate_json(
        (await nc.request(subjects.query("list"), q.ListTickets(limit=500).to_bytes(), 5)).data
    )
    details = []
    for ticket in page.items:
        reply = await nc.request(
            subjects.query("get"), q.GetTicket(ticket_id=ticket.id).to_bytes(), 5
        )
        details.append(q.TicketDetail.model_validate_json(reply.data))
    return details


async def one_ticket(nc: Client, messages: int = 1) -> q.TicketDetail:
    async with asyncio.timeout(15):
        while True:
            found = await tickets(nc)
            if found and len(found[0].messages) >= messages:
                return found[0]
            await asyncio.sleep(0.1)


async def reply(nc: Client, ticket_id: str, text: str) -> None:
    command = c.AddReply(actor="agent-1", ticket_id=ticket_id, text=text)
    answer = c.COMMAND_REPLY.validate_json(
        (await nc.request(subjects.command("reply"), command.to_bytes(), 5)).data
    )
    assert answer.ok, answer


async def open_chats(nc: Client, urls: list[str], count: int, first_id: int) -> list[str]:
    """`count` customers write in; returns their tickets' ids once all exist."""
    for n in range(count):
        update = json.loads(json.dumps(UPDATE))
        update["message"]["chat"]["id"] = update["message"]["from"]["id"] = first_id + n
        assert (await post(urls[n % len(urls)], update)).status_code == 200
    async with asyncio.timeout(20):
        while len(found := await tickets(nc)) < count:
            await asyncio.sleep(0.1)
    return [t.ticket.id for t in found]


async def reply_many(nc: Client, ticket_ids: list[str], per_ticket: int) -> list[str]:
    """`per_ticket` replies to each ticket, in one command batch; returns their texts."""
    commands: list[c.Command] = [
        c.AddReply(actor="agent-1", ticket_id=ticket_id, text=f"ответ {ticket_id}-{n}")
        for n in range(per_ticket)
        for ticket_id in ticket_ids
    ]
    await nc.request(
        subjects.COMMAND_BATCH, c.CommandBatch(commands=commands).to_bytes(), timeout=10
    )
    return [command.text for command in commands]  # type: ignore[union-attr]


async def replies_written(nc: Client) -> list[MessageView]:
    return [m for t in await tickets(nc) for m in t.messages if m.direction == "outbound"]


async def ticket_ids(nc: Client, count: int) -> list[str]:
    """The ids of the tickets, once there are `count` of them."""
    async with asyncio.timeout(20):
        while len(found := [t.ticket.id for t in await tickets(nc)]) < count:
            await asyncio.sleep(0.1)
    return found


async def replies_final(
    nc: Client, final: tuple[str, ...] = ("sent", "failed")
) -> list[MessageView]:
    """Every reply, once each has one of the `final` delivery states."""
    async with asyncio.timeout(60):
        while True:
            replies = await replies_written(nc)
            if all(m.delivery_status in final for m in replies):
                return replies
            await asyncio.sleep(0.2)


async def outbound_message(nc: Client, status: str) -> MessageView:
    async with asyncio.timeout(20):
        while True:
            detail = await one_ticket(nc)
            out = [m for m in detail.messages if m.direction == "outbound"]
            if out and out[-1].delivery_status == status:
                return out[-1]
            await asyncio.sleep(0.1)


async def test_a_webhook_update_creates_a_ticket_and_a_repeat_creates_nothing(
    stack: str, nc: Client
) -> None:
    first = await post(stack, UPDATE)
    ticket = await one_ticket(nc)
    again = await post(stack, UPDATE)
    await asyncio.sleep(1.0)

    assert first.status_code == again.status_code == 200
    assert [m.text for m in ticket.messages] == ["Hello, I need your Help"]
    assert len(await tickets(nc)) == 1
    assert len((await tickets(nc))[0].messages) == 1


async def test_a_wrong_secret_is_refused_and_stored_nowhere(stack: str, nc: Client) -> None:
    refused = await post(stack, UPDATE, secret="guess")
    missing = await post(stack, UPDATE, secret=None)
    info = await nc.jetstream().stream_info("INBOUND")

    assert refused.status_code == missing.status_code == 401
    assert info.state.messages == 0


async def test_a_reply_reaches_the_bot_api_as_send_message_to_the_chat(
    stack: str, nc: Client, fake_api: FakeBotApi
) -> None:
    await post(stack, UPDATE)
    ticket = await one_ticket(nc)

    await reply(nc, ticket.ticket.id, "Здравствуйте! Чем помочь? 🙂")
    sent = await outbound_message(nc, "sent")

    [call] = fake_api.sent()
    assert call.token == "123:ABC"
    assert call.params["chat_id"] == "111111"
    assert call.params["text"] == "Здравствуйте! Чем помочь? 🙂"
    assert sent.external_id is not None and sent.external_id.startswith("111111:")


async def test_429_waits_retry_after_then_delivers_exactly_once(
    stack: str, nc: Client, fake_api: FakeBotApi
) -> None:
    await post(stack, UPDATE)
    ticket = await one_ticket(nc)
    fake_api.fail_next(TOO_MANY)

    await reply(nc, ticket.ticket.id, "после паузы")
    await outbound_message(nc, "sent")
    await asyncio.sleep(1.0)

    attempts = [x for x in fake_api.calls if x.method == "sendMessage"]
    assert [x.status for x in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0


async def test_a_blocked_bot_marks_the_reply_failed_with_the_reason(
    stack: str, nc: Client, fake_api: FakeBotApi
) -> None:
    await post(stack, UPDATE)
    ticket = await one_ticket(nc)
    fake_api.fail_next(BLOCKED)

    await reply(nc, ticket.ticket.id, "вы нас заблокировали")
    failed = await outbound_message(nc, "failed")

    assert failed.delivery_reason is not None and "blocked by the user" in failed.delivery_reason
    assert [x.status for x in fake_api.calls if x.method == "sendMessage"] == [403]


async def test_set_webhook_registers_each_bot_with_its_secret(fake_api: FakeBotApi) -> None:
    fake_api.calls.clear()
    bots = [{"account": "support_bot", "token": "123:ABC", "secret": SECRET}]
    settings = TelegramSettings(telegram_bots=bots, telegram_api_base=f"{fake_api.url}/bot")  # type: ignore[arg-type]

    lines = await create_app(settings).state.set_webhook("https://desk.example/")

    [call] = [x for x in fake_api.calls if x.method == "setWebhook"]
    assert call.params["url"] == "https://desk.example/telegram/support_bot/webhook"
    assert call.params["secret_token"] == SECRET
    assert lines == [
        "webhook of support_bot set to https://desk.example/telegram/support_bot/webhook"
    ]


async def test_a_customers_document_is_downloaded_and_kept_with_the_message(
    stack: str, nc: Client, fake_api: FakeBotApi, data_dir: Path
) -> None:
    update = json.loads((CORPUS / "core_telegram_org/10_message_with_document.json").read_text())
    file_id = update["message"]["document"]["file_id"]
    fake_api.files[file_id] = "Счёт №1 📄".encode()

    assert (await post(stack, update)).status_code == 200
    ticket = await one_ticket(nc)

    [attachment] = ticket.messages[0].attachments
    assert attachment.name == "Testfile.pdf" and attachment.external_id == file_id
    stored = FileStore.under(data_dir, 20).read(attachment.ref)
    assert stored == "Счёт №1 📄".encode()


async def test_a_file_an_agent_attached_goes_out_as_a_document(
    stack: str, nc: Client, fake_api: FakeBotApi, data_dir: Path
) -> None:
    await post(stack, UPDATE)
    ticket = await one_ticket(nc)
    attachment = FileStore.under(data_dir, 20).save(b"%PDF-1.4 act", "акт.pdf", "application/pdf")

    command = c.AddReply(
        actor="agent-1",
        ticket_id=ticket.ticket.id,
        text="Акт во вложении",
        attachments=[attachment],
    )
    answer = await nc.request(subjects.command("reply"), command.to_bytes(), 5)
    assert c.COMMAND_REPLY.validate_json(answer.data).ok
    await outbound_message(nc, "sent")

    [text] = fake_api.sent("sendMessage")
    [document] = fake_api.sent("sendDocument")
    assert text.params["text"] == "Акт во вложении"
    assert document.params["document"]["filename"] == "акт.pdf"
    assert document.params["document"]["content"] == b"%PDF-1.4 act"


async def test_killed_with_200_replies_in_flight_none_is_sent_twice(
    nats_server: NatsServer, nc: Client, data_dir: Path, fake_api: FakeBotApi
) -> None:
    fake_api.calls.clear()
    fake_api.delay = 0.05
    bots = [{"account": "support_bot", "token": "123:ABC", "secret": SECRET}]
    env = {
        "RELAYDESK_TELEGRAM_BOTS": json.dumps(bots),
        "RELAYDESK_TELEGRAM_API_BASE": f"{fake_api.url}/bot",
    }
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    telegram = ServiceProcess("telegram", nats_server.url, data_dir, **env).start()
    try:
        assert telegram.url
        chats = await open_chats(nc, [telegram.url], 20, 5000)
        texts = await reply_many(nc, chats, 10)
        async with asyncio.timeout(20):
            while len(fake_api.sent()) < 50:
                await asyncio.sleep(0.01)

        telegram.kill()
        delivered_before = len(fake_api.sent())
        telegram.start()
        async with asyncio.timeout(60):
            while True:
                replies = await replies_written(nc)
                if all(m.delivery_status in ("sent", "failed") for m in replies):
                    break
                await asyncio.sleep(0.2)
    finally:
        fake_api.delay = 0.0
        telegram.stop()
        store.stop()

    counts = Counter(x.params["text"] for x in fake_api.sent())
    failed = [m for m in replies if m.delivery_status == "failed"]
    print(f"{len(failed)} of {len(replies)} replies failed as uncertain")
    assert 50 <= delivered_before < len(texts) and len(replies) == len(texts)
    assert max(counts.values()) == 1
    # Each chat had at most one reply in the Bot API's hands when the adapter died: those are
    # failed as uncertain (delivered or not), and every other reply went out exactly once.
    assert len(failed) <= len(chats)
    assert all(m.delivery_reason and "uncertain" in m.delivery_reason for m in failed)
    assert {m.text for m in replies if m.delivery_status == "sent"} <= set(counts)
    assert set(texts) - set(counts) <= {m.text for m in failed}


async def test_replies_to_one_chat_arrive_in_the_order_they_were_written(
    stack: str, nc: Client, fake_api: FakeBotApi
) -> None:
    await post(stack, UPDATE)
    ticket = await one_ticket(nc)
    fake_api.fail_next(TOO_MANY)  # the first waits a second: the others must wait behind it
    texts = [f"часть {n}" for n in range(10)]

    batch = c.CommandBatch(
        commands=[c.AddReply(actor="agent-1", ticket_id=ticket.ticket.id, text=t) for t in texts]
    )
    await nc.request(subjects.COMMAND_BATCH, batch.to_bytes(), timeout=10)
    async with asyncio.timeout(20):
        while len(fake_api.sent()) < len(texts):
            await asyncio.sleep(0.05)

    assert [x.params["text"] for x in fake_api.sent()] == texts


async def test_metrics_count_per_channel_and_account(
    stack: str, nc: Client, fake_api: FakeBotApi
) -> None:
    await post(stack, UPDATE)
    ticket = await one_ticket(nc)
    fake_api.fail_next(BLOCKED)
    await reply(nc, ticket.ticket.id, "не дойдёт")
    await outbound_message(nc, "failed")

    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"{stack}/metrics")).text

    labels = 'account="support_bot",channel="telegram"'
    assert f'relaydesk_channel_messages_total{{{labels},direction="in"}} 1.0' in metrics
    assert f"relaydesk_delivery_failures_total{{{labels}" in metrics
    assert f'relaydesk_platform_api_seconds_count{{{labels},outcome="failed"}} 1.0' in metrics
    assert 'relaydesk_consumer_pending{consumer="adapter-telegram"' in metrics


async def test_with_nats_down_telegram_is_asked_to_retry_and_the_retry_is_stored(
    tmp_path: Path, fake_api: FakeBotApi
) -> None:
    first = NatsServer(tmp_path / "nats", port=0).start()
    port = first.port
    bots = [{"account": "support_bot", "token": "123:ABC", "secret": SECRET}]
    telegram = ServiceProcess(
        "telegram", first.url, tmp_path / "var",
        RELAYDESK_TELEGRAM_BOTS=json.dumps(bots),
        RELAYDESK_TELEGRAM_API_BASE=f"{fake_api.url}/bot",
    ).start()  # fmt: skip
    assert telegram.url and port
    try:
        first.stop()
        refused = await post(telegram.url, UPDATE)
        again = NatsServer(tmp_path / "nats", port=port).start()
        async with asyncio.timeout(30):
            while (retried := await post(telegram.url, UPDATE)).status_code != 200:
                await asyncio.sleep(0.5)
        nc = await nats.connect(again.url)
        info = await nc.jetstream().stream_info("INBOUND")
        await nc.close()
    finally:
        telegram.stop()
        again.stop()

    assert refused.status_code == 503
    assert retried.status_code == 200
    assert info.state.messages == 1


def numbered(update_id: int, text: str) -> dict[str, Any]:
    update = json.loads(json.dumps(UPDATE))
    update["update_id"] = update["message"]["message_id"] = update_id
    update["message"]["text"] = text
    return update


async def test_polling_resumes_from_its_stored_offset_losing_and_repeating_nothing(
    nats_server: NatsServer, nc: Client, data_dir: Path, fake_api: FakeBotApi
) -> None:
    fake_api.calls.clear()
    fake_api.updates = [numbered(n, f"сообщение {n}") for n in (1, 2, 3)]
    env = {
        "RELAYDESK_TELEGRAM_BOTS": json.dumps(
            [{"account": "support_bot", "token": "123:ABC", "secret": SECRET}]
        ),
        "RELAYDESK_TELEGRAM_API_BASE": f"{fake_api.url}/bot",
        "RELAYDESK_TELEGRAM_MODE": "polling",
    }
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    telegram = ServiceProcess("telegram", nats_server.url, data_dir, **env).start()
    try:
        await one_ticket(nc, messages=3)
        telegram.stop()
        fake_api.updates += [numbered(n, f"сообщение {n}") for n in (4, 5)]
        asked_before = len([x for x in fake_api.calls if x.method == "getUpdates"])
        telegram.start()
        ticket = await one_ticket(nc, messages=5)
        await asyncio.sleep(1.0)
        ticket = await one_ticket(nc, messages=5)
    finally:
        telegram.stop()
        store.stop()
        fake_api.updates = []

    after_restart = [x for x in fake_api.calls if x.method == "getUpdates"][asked_before:]
    assert [m.text for m in ticket.messages] == [f"сообщение {n}" for n in range(1, 6)]
    assert int(after_restart[0].params["offset"]) == 4
    assert any(x.method == "deleteWebhook" for x in fake_api.calls)


async def test_a_body_that_is_not_an_update_is_refused_and_kept_for_inspection(
    stack: str, nc: Client
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.post(
            f"{stack}/telegram/support_bot/webhook",
            content=b"{not json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    kept = await nc.jetstream().get_last_msg("DEADLETTER", "deadletter.inbound.telegram")

    assert reply.status_code == 400
    assert kept.data == b"{not json"
    assert kept.headers and "Relaydesk-Dead-Reason" in kept.headers


async def test_a_body_over_a_megabyte_is_refused_before_it_is_read_whole(
    stack: str, nc: Client
) -> None:
    huge = b'{"update_id": 1, "padding": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.post(
            f"{stack}/telegram/support_bot/webhook",
            content=huge,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    inbound = await nc.jetstream().stream_info("INBOUND")

    assert reply.status_code == 413
    assert inbound.state.messages == 0


async def test_a_500_is_retried_with_backoff_and_delivered_once(
    stack: str, nc: Client, fake_api: FakeBotApi
) -> None:
    await post(stack, UPDATE)
    ticket = await one_ticket(nc)
    fake_api.fail_next(BROKEN, BROKEN)

    await reply(nc, ticket.ticket.id, "после сбоя")
    await outbound_message(nc, "sent")

    assert [x.status for x in fake_api.calls if x.method == "sendMessage"] == [500, 500, 200]


async def test_a_button_press_is_stored_and_answered(
    stack: str, nc: Client, fake_api: FakeBotApi
) -> None:
    update = json.loads((CORPUS / "core_telegram_org/13_callback_query.json").read_text())

    assert (await post(stack, update)).status_code == 200
    ticket = await one_ticket(nc)

    assert ticket.messages[0].text == "Data from button callback"
    [answer] = [x for x in fake_api.calls if x.method == "answerCallbackQuery"]
    assert answer.params["callback_query_id"] == str(update["callback_query"]["id"])


async def test_two_replicas_share_the_replies_and_each_goes_out_once(
    nats_server: NatsServer, nc: Client, data_dir: Path, fake_api: FakeBotApi
) -> None:
    fake_api.calls.clear()
    fake_api.delay = 0.02
    env = {
        "RELAYDESK_TELEGRAM_BOTS": json.dumps(
            [{"account": "support_bot", "token": "123:ABC", "secret": SECRET}]
        ),
        "RELAYDESK_TELEGRAM_API_BASE": f"{fake_api.url}/bot",
    }
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    replicas = [ServiceProcess("telegram", nats_server.url, data_dir, **env).start() for _ in "ab"]
    try:
        urls = [str(replica.url) for replica in replicas]
        texts = await reply_many(nc, await open_chats(nc, urls, 10, 7000), 10)
        async with asyncio.timeout(30):
            while len(fake_api.sent()) < len(texts):
                await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
    finally:
        fake_api.delay = 0.0
        for replica in replicas:
            replica.stop()
        store.stop()

    counts = Counter(x.params["text"] for x in fake_api.sent())
    assert set(counts) == set(texts) and set(counts.values()) == {1}


BAD_UPDATES: list[Any] = [
    [],
    {"message": "just text"},
    {"update_id": 1, "message": {"chat": 5, "text": "chat is a number"}},
    {"update_id": 2, "message": {"chat": {"id": {"nested": 1}}, "message_id": [], "text": 5}},
    {"update_id": 3, "message": {"message_id": 1, "text": "no chat at all"}},
]


async def test_malformed_updates_never_hold_back_the_messages_behind_them(
    stack: str, nc: Client
) -> None:
    answers = []
    for n, bad in enumerate(BAD_UPDATES):
        answers.append((await post(stack, bad)).status_code)
        good = json.loads(json.dumps(UPDATE))
        good["update_id"], good["message"]["message_id"] = 100 + n, 100 + n
        good["message"]["text"] = f"после мусора {n}"
        answers.append((await post(stack, good)).status_code)
    ticket = await one_ticket(nc, messages=len(BAD_UPDATES))
    kept = await nc.jetstream().stream_info("DEADLETTER")

    assert all(code in (200, 400) for code in answers), answers
    assert [m.text for m in ticket.messages] == [f"после мусора {n}" for n in range(5)]
    # Unreadable ones are kept for inspection; a message with no chat is skipped with a reason.
    assert kept.state.messages == 3


async def test_an_agent_typing_shows_as_typing_in_the_telegram_chat(
    stack: str, nc: Client, fake_api: FakeBotApi
) -> None:
    typing = Typing(channel="telegram", account="support_bot", thread_key="111111", who="agent")

    await nc.publish(subjects.typing_agent("telegram"), typing.to_bytes())
    async with asyncio.timeout(5):
        while not (actions := fake_api.sent("sendChatAction")):
            await asyncio.sleep(0.05)

    assert [(int(a.params["chat_id"]), a.params["action"]) for a in actions] == [(111111, "typing")]
