"""The bus against a real nats-server: the one consumer path (services/runtime/consumer.py)
with its spec's redelivery, backoff and dead letters, and JetStream's dedupe."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import nats
import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from contracts import InboundMessage, Sender, streams, subjects
from contracts.streams import ConsumerSpec
from services.runtime.consumer import consume_batches, dead_publisher, process_batch
from services.runtime.nats_server import NatsServer

SPEC = ConsumerSpec(
    "INBOUND", "test-consumer", subjects.inbound("telegram"), max_deliver=3, backoff=(0.05,)
)
Handle = Callable[[list[InboundMessage]], Awaitable[object]]


def sample(text: str = "Привет 👋") -> InboundMessage:
    return InboundMessage(
        channel="telegram",
        account="bot1",
        thread_key="42",
        external_id="1001",
        sender=Sender(channel_user_id="7", display_name="Иван"),
        text=text,
    )


async def publish(js: JetStreamContext, msg: InboundMessage, msg_id: str | None = None) -> None:
    await js.publish(
        subjects.inbound(msg.channel),
        msg.to_bytes(),
        headers={streams.MSG_ID: msg_id or msg.dedupe_key},
    )


@contextlib.asynccontextmanager
async def consuming(js: JetStreamContext, handle: Handle) -> AsyncIterator[None]:
    dead = dead_publisher(js)

    async def on_batch(batch: list[Msg]) -> None:
        await process_batch(batch, InboundMessage.model_validate_json, handle, dead, SPEC)

    task = asyncio.create_task(consume_batches(js, SPEC, on_batch, 100))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_inbound_message_reaches_a_durable_consumer(js: JetStreamContext) -> None:
    got: asyncio.Queue[InboundMessage] = asyncio.Queue()

    async def handle(batch: list[InboundMessage]) -> None:
        for item in batch:
            await got.put(item)

    await publish(js, sample())
    async with consuming(js, handle):
        received = await asyncio.wait_for(got.get(), 10)
    assert received.text == "Привет 👋" and received.dedupe_key == sample().dedupe_key


async def test_a_message_not_acked_is_redelivered_after_the_specs_backoff(
    js: JetStreamContext,
) -> None:
    attempts: list[float] = []
    done = asyncio.Event()

    async def handle(batch: list[InboundMessage]) -> None:
        attempts.append(asyncio.get_running_loop().time())
        if len(attempts) <= 2:  # the batch, then the message on its own
            raise ConnectionError("database briefly away")
        done.set()

    await publish(js, sample())
    async with consuming(js, handle):
        await asyncio.wait_for(done.wait(), 10)
    assert len(attempts) == 3
    assert attempts[2] - attempts[1] >= 0.04  # nacked with the spec's 0.05 s step


async def test_a_message_failing_max_deliver_times_is_dead_lettered_with_the_reason(
    js: JetStreamContext,
) -> None:
    attempts: list[int] = []

    async def handle(batch: list[InboundMessage]) -> None:
        attempts.append(1)
        raise RuntimeError("store rejected the write")

    dead = await js.subscribe(subjects.dead_letter(subjects.inbound("telegram")), durable="ops")
    await publish(js, sample())
    async with consuming(js, handle):
        letter = await dead.next_msg(timeout=10)
    assert len(attempts) == 2 * SPEC.max_deliver  # each delivery: as a batch, then alone
    assert letter.headers is not None
    assert letter.headers[streams.DEAD_REASON] == "RuntimeError: store rejected the write"
    assert letter.headers[streams.DEAD_SUBJECT] == "inbound.telegram"
    assert letter.headers[streams.DEAD_DELIVERIES] == "3"
    assert InboundMessage.model_validate_json(letter.data).text == "Привет 👋"


async def test_a_malformed_payload_is_dead_lettered_at_once_and_the_next_is_handled(
    js: JetStreamContext,
) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def handle(batch: list[InboundMessage]) -> None:
        for item in batch:
            await handled.put(item.text)

    dead = await js.subscribe(subjects.dead_letter(subjects.inbound("telegram")), durable="ops")
    await js.publish(subjects.inbound("telegram"), b'{"channel": "telegram", "text": 5}')
    await publish(js, sample("после"))
    async with consuming(js, handle):
        assert await asyncio.wait_for(handled.get(), 10) == "после"
        letter = await dead.next_msg(timeout=10)
    assert letter.headers is not None
    reason = letter.headers[streams.DEAD_REASON]
    assert reason.startswith("invalid ")
    assert "account: Field required" in reason
    assert letter.headers[streams.DEAD_DELIVERIES] == "1"


async def test_a_pull_consumer_of_the_same_name_is_replaced_where_it_stopped(
    js: JetStreamContext,
) -> None:
    await publish(js, sample("уже обработано"), "old-1")
    old = await js.pull_subscribe(SPEC.filter_subject, durable=SPEC.durable, stream=SPEC.stream)
    [done] = await old.fetch(1, timeout=2)
    await done.ack()
    await publish(js, sample("новое"), "new-1")
    got: asyncio.Queue[str] = asyncio.Queue()

    async def handle(batch: list[InboundMessage]) -> None:
        for item in batch:
            await got.put(item.text)

    async with consuming(js, handle):
        first = await asyncio.wait_for(got.get(), 10)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(got.get(), 0.5)
    assert first == "новое"


async def test_the_same_msg_id_published_twice_is_stored_once(js: JetStreamContext) -> None:
    first = await js.publish("inbound.telegram", b"{}", headers={streams.MSG_ID: "telegram:b:1"})
    second = await js.publish("inbound.telegram", b"{}", headers={streams.MSG_ID: "telegram:b:1"})
    info = await js.stream_info("INBOUND")
    assert second.duplicate is True
    assert first.seq == second.seq
    assert info.state.messages == 1


async def test_replicas_that_create_the_consumer_at_once_both_take_work(
    js: JetStreamContext, nats_server: NatsServer
) -> None:
    # Arrange: two replicas on their own connections subscribe in the same instant, so both
    # find no consumer and both create it (what a scaled-out router did at every start).
    taken: dict[str, int] = {"first": 0, "second": 0}
    ready = [asyncio.Event(), asyncio.Event()]
    clients = [await nats.connect(nats_server.url) for _ in range(2)]

    def replica(name: str) -> Callable[[list[Msg]], Awaitable[None]]:
        async def on_batch(batch: list[Msg]) -> None:
            taken[name] += len(batch)
            for msg in batch:
                await msg.ack()

        return on_batch

    tasks = [
        asyncio.create_task(consume_batches(c.jetstream(), SPEC, replica(name), 1, ready[i]))
        for i, (c, name) in enumerate(zip(clients, taken, strict=True))
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 10)
        # Act
        for n in range(200):
            await publish(js, sample(f"№{n}"), msg_id=f"share-{n}")
        async with asyncio.timeout(10):
            while sum(taken.values()) < 200:
                await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for c in clients:
            await c.close()
    # Assert: the deliver group spreads the messages over both
    assert sum(taken.values()) == 200 and min(taken.values()) > 0, taken
