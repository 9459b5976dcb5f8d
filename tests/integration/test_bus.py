"""The bus against a real nats-server: durable delivery, redelivery, dead letters, dedupe."""

import asyncio

from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts import InboundMessage, Sender, streams, subjects
from contracts.streams import ConsumerSpec
from services.runtime.broker import durable_subscriber, make_broker
from services.runtime.config import BaseServiceSettings

SPEC = ConsumerSpec("INBOUND", "test-consumer", subjects.inbound("telegram"))


def sample(text: str = "Привет 👋") -> InboundMessage:
    return InboundMessage(
        channel="telegram",
        account="bot1",
        thread_key="42",
        external_id="1001",
        sender=Sender(channel_user_id="7", display_name="Иван"),
        text=text,
    )


def broker_for(nc: Client, backoff: tuple[float, ...] = (0.05,)) -> NatsBroker:
    settings = BaseServiceSettings(nats_url=nc.connected_url.geturl())  # type: ignore[union-attr]
    return make_broker(settings, "test", max_deliver=3, backoff=backoff)


async def publish(js: JetStreamContext, msg: InboundMessage, msg_id: str | None = None) -> None:
    await js.publish(
        subjects.inbound(msg.channel),
        msg.to_bytes(),
        headers={streams.MSG_ID: msg_id or msg.dedupe_key},
    )


async def test_inbound_message_reaches_a_durable_consumer(nc: Client, js: JetStreamContext) -> None:
    broker = broker_for(nc)
    got: asyncio.Queue[InboundMessage] = asyncio.Queue()

    @durable_subscriber(broker, SPEC)
    async def on_message(body: InboundMessage) -> None:
        await got.put(body)

    await publish(js, sample())
    async with broker:
        await broker.start()
        received = await asyncio.wait_for(got.get(), 10)
    assert received == sample().model_copy(
        update={"id": received.id, "received_at": received.received_at}
    )
    assert received.text == "Привет 👋"


async def test_a_message_not_acked_is_redelivered(nc: Client, js: JetStreamContext) -> None:
    broker = broker_for(nc)
    attempts: list[int] = []
    done = asyncio.Event()

    @durable_subscriber(broker, SPEC)
    async def on_message(body: InboundMessage) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("database briefly away")
        done.set()

    await publish(js, sample())
    async with broker:
        await broker.start()
        await asyncio.wait_for(done.wait(), 10)
    assert len(attempts) == 2


async def test_a_message_failing_max_deliver_times_is_dead_lettered_with_the_reason(
    nc: Client, js: JetStreamContext
) -> None:
    broker = broker_for(nc)
    attempts: list[int] = []

    @durable_subscriber(broker, SPEC)
    async def on_message(body: InboundMessage) -> None:
        attempts.append(1)
        raise RuntimeError("store rejected the write")

    dead = await js.subscribe(subjects.dead_letter(subjects.inbound("telegram")), durable="ops")
    await publish(js, sample())
    async with broker:
        await broker.start()
        letter = await dead.next_msg(timeout=10)
    assert len(attempts) == 3
    assert letter.headers is not None
    assert letter.headers[streams.DEAD_REASON] == "RuntimeError: store rejected the write"
    assert letter.headers[streams.DEAD_SUBJECT] == "inbound.telegram"
    assert letter.headers[streams.DEAD_DELIVERIES] == "3"
    assert InboundMessage.model_validate_json(letter.data).text == "Привет 👋"


async def test_a_malformed_payload_is_dead_lettered_at_once_and_the_next_is_handled(
    nc: Client, js: JetStreamContext
) -> None:
    broker = broker_for(nc)
    handled: asyncio.Queue[str] = asyncio.Queue()

    @durable_subscriber(broker, SPEC)
    async def on_message(body: InboundMessage) -> None:
        await handled.put(body.text)

    dead = await js.subscribe(subjects.dead_letter(subjects.inbound("telegram")), durable="ops")
    await js.publish(subjects.inbound("telegram"), b'{"channel": "telegram", "text": 5}')
    await publish(js, sample("после"))
    async with broker:
        await broker.start()
        assert await asyncio.wait_for(handled.get(), 10) == "после"
        letter = await dead.next_msg(timeout=10)
    assert letter.headers is not None
    reason = letter.headers[streams.DEAD_REASON]
    assert reason.startswith("invalid ")
    assert "account: Field required" in reason
    assert letter.headers[streams.DEAD_DELIVERIES] == "1"


async def test_the_same_msg_id_published_twice_is_stored_once(js: JetStreamContext) -> None:
    first = await js.publish("inbound.telegram", b"{}", headers={streams.MSG_ID: "telegram:b:1"})
    second = await js.publish("inbound.telegram", b"{}", headers={streams.MSG_ID: "telegram:b:1"})
    info = await js.stream_info("INBOUND")
    assert second.duplicate is True
    assert first.seq == second.seq
    assert info.state.messages == 1
