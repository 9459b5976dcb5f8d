"""The store service on a real nats-server: exactly once, crash safety, dead letters, commands."""

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts import commands as c
from contracts import queries as q
from contracts import streams, subjects
from contracts.messages import InboundMessage, OutboundMessage, Sender
from contracts.streams import ConsumerSpec
from services.runtime.nats_server import NatsServer
from tests.integration.processes import ServiceProcess

pytestmark = pytest.mark.integration


def message(thread: int, n: int, text: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel="telegram",
        account="bot1",
        thread_key=f"chat-{thread}",
        external_id=f"{thread}-{n}",
        sender=Sender(channel_user_id=f"user-{thread}", display_name=f"Клиент {thread}"),
        text=text or f"Сообщение {n} из чата {thread} 🙂",
    )


async def publish_all(js: JetStreamContext, messages: list[InboundMessage], copy: str = "") -> None:
    """Publish with 500 in flight; `copy` makes a distinct Nats-Msg-Id (a late platform retry
    that JetStream's duplicate window no longer catches, so only the store can dedupe it)."""
    for start in range(0, len(messages), 500):
        chunk = messages[start : start + 500]
        await asyncio.gather(
            *(
                js.publish(
                    subjects.inbound(m.channel),
                    m.to_bytes(),
                    headers={streams.MSG_ID: m.dedupe_key + copy},
                )
                for m in chunk
            )
        )


def counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    return tickets, messages


async def drained(
    js: JetStreamContext, spec: ConsumerSpec = streams.STORE_INBOUND, timeout: float = 60
) -> None:
    """Wait until the durable consumer `spec` has nothing pending and nothing unacked."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        info = await js.consumer_info(spec.stream, spec.durable)
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{spec.durable} did not drain {spec.stream}")


async def event_counts(js: JetStreamContext, timeout: float = 10) -> dict[str, int]:
    """Per-subject counts in EVENTS once the outbox has settled."""
    last: dict[str, int] = {}
    for _ in range(int(timeout / 0.5)):
        info = await js.stream_info("EVENTS", subjects_filter=">")
        current = dict(info.state.subjects or {})
        if current == last and current:
            return current
        last = current
        await asyncio.sleep(0.5)
    return last


@pytest.fixture
def store_env(nats_server: NatsServer, nc: Client, data_dir: Path) -> Iterator[dict[str, object]]:
    started: list[ServiceProcess] = []

    def start() -> ServiceProcess:
        process = ServiceProcess("store", nats_server.url, data_dir).start()
        started.append(process)
        return process

    yield {"start": start, "db": data_dir / "store.sqlite3"}
    for p in started:
        p.stop()


async def test_two_replicas_store_each_message_exactly_once(
    store_env: dict[str, object], js: JetStreamContext
) -> None:
    start = store_env["start"]
    messages = [message(t, n) for n in range(20) for t in range(50)]
    await publish_all(js, messages)
    await publish_all(js, messages, copy=":retry")
    first = start()  # type: ignore[operator]
    second = start()  # type: ignore[operator]

    await drained(js)

    assert counts(store_env["db"]) == (50, 1000)  # type: ignore[arg-type]
    events = await event_counts(js)
    assert events["events.ticket.created"] == 50
    assert events["events.message.created"] == 1000
    assert first.healthy() and second.healthy()


async def test_a_store_killed_mid_batch_loses_and_duplicates_nothing(
    store_env: dict[str, object], js: JetStreamContext
) -> None:
    start = store_env["start"]
    db: Path = store_env["db"]  # type: ignore[assignment]
    messages = [message(t, n) for n in range(100) for t in range(50)]
    store = start()  # type: ignore[operator]
    await publish_all(js, messages)
    while counts(db)[1] < 500:
        await asyncio.sleep(0.01)
    store.kill()
    stored_at_kill = counts(db)[1]

    start()  # type: ignore[operator]
    await drained(js)

    assert stored_at_kill < 5000
    assert counts(db) == (50, 5000)
    events = await event_counts(js)
    assert events["events.message.created"] == 5000
    assert events["events.ticket.created"] == 50


async def test_malformed_payloads_are_dead_lettered_and_the_rest_stored(
    store_env: dict[str, object], js: JetStreamContext
) -> None:
    dead = await js.subscribe(subjects.DEAD_LETTER_ALL, durable="ops")
    await publish_all(js, [message(1, 1)])
    await js.publish("inbound.telegram", b"not json at all")
    await js.publish("inbound.vk", json.dumps({"channel": "vk", "text": "нет полей"}).encode())
    await publish_all(js, [message(1, 2), message(2, 1)])
    store_env["start"]()  # type: ignore[operator]

    await drained(js)
    letters = [await dead.next_msg(timeout=5) for _ in range(2)]

    assert counts(store_env["db"]) == (2, 3)  # type: ignore[arg-type]
    reasons = {m.subject: m.headers[streams.DEAD_REASON] for m in letters if m.headers}
    assert reasons["deadletter.inbound.vk"].startswith("invalid InboundMessage: account: Field")
    assert reasons["deadletter.inbound.telegram"].startswith("invalid InboundMessage: <body>: Inv")


async def test_a_reply_command_goes_out_on_the_channel_subject(
    store_env: dict[str, object], nc: Client, js: JetStreamContext
) -> None:
    outbound = await js.subscribe(subjects.outbound_replies("telegram"), durable="adapter-test")
    store_env["start"]()  # type: ignore[operator]
    await publish_all(js, [message(7, 1, "Помогите")])
    await drained(js)
    page_reply = await nc.request(subjects.query("list"), q.ListTickets().to_bytes(), timeout=5)
    ticket = q.TicketPage.model_validate_json(page_reply.data).items[0]

    reply = await nc.request(
        subjects.command("reply"),
        c.AddReply(actor="agent-1", ticket_id=ticket.id, text="Уже чиним 🔧").to_bytes(),
        timeout=5,
    )
    sent = await outbound.next_msg(timeout=5)

    assert c.COMMAND_REPLY.validate_json(reply.data).ok is True
    out = OutboundMessage.model_validate_json(sent.data)
    assert (out.thread_key, out.text, out.ticket_id) == ("chat-7", "Уже чиним 🔧", ticket.id)
    assert sent.headers and sent.headers[streams.MSG_ID] == out.id


async def test_an_invalid_command_gets_a_typed_error_not_a_timeout(
    store_env: dict[str, object], nc: Client
) -> None:
    store_env["start"]()  # type: ignore[operator]

    missing = await nc.request(
        subjects.command("status"), b'{"actor": "a", "status": "gone"}', timeout=5
    )
    unknown = await nc.request(
        subjects.command("status"),
        c.SetStatus(actor="a", ticket_id="nope", status="closed").to_bytes(),
        timeout=5,
    )

    invalid = c.COMMAND_REPLY.validate_json(missing.data)
    not_found = c.COMMAND_REPLY.validate_json(unknown.data)
    assert isinstance(invalid, c.CommandError) and invalid.code == "invalid"
    assert isinstance(not_found, c.CommandError) and not_found.code == "not_found"


async def test_metrics_show_messages_in_and_consumer_lag(
    store_env: dict[str, object], js: JetStreamContext
) -> None:
    store: ServiceProcess = store_env["start"]()  # type: ignore[operator]
    await publish_all(js, [message(1, n) for n in range(3)])
    await drained(js)

    text = ""
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(60):
            text = (await client.get(f"{store.url}/metrics")).text
            if 'relaydesk_consumer_pending{consumer="store-inbound",kind="pending"} 0.0' in text:
                break
            await asyncio.sleep(0.2)

    assert 'relaydesk_consumer_pending{consumer="store-inbound",kind="pending"} 0.0' in text
    assert 'relaydesk_messages_total{channel="telegram",direction="in",service="store"} 3.0' in text
