"""The one way a service reads a JetStream stream: a durable consumer built from its
`ConsumerSpec`, whose `ack_wait`, `max_ack_pending`, `max_deliver` and `backoff` are the only
retry and dead-letter policy there is. The store, the router and every adapter's outbound
worker consume through `consume_batches`; a failed message goes through `give_back`.

Why not FastStream's `PullSub(batch=True)`: it keeps fetching until the batch is full or its
timeout passes, so on quiet traffic every message waits the whole timeout. And why not
nats-py's `fetch(n)`: it awaits each message with its own timeout, which capped consume+ack
at ~10k msgs/s here. A push consumer whose callback only appends to a list, drained by one
task, reached ~38k/s: large batches under load, no added latency when quiet.

A batch is parsed message by message (bad payloads are dead-lettered at once), handled in
one go, and acked. If the handler fails, the batch is retried one message at a time, so one
poison message is nacked with the spec's backoff (and dead-lettered after its `max_deliver`)
while every message behind it is still stored.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from contracts.streams import ConsumerSpec
from services.runtime.broker import consumer_config
from services.runtime.deadletter import (
    PERMANENT_ERRORS,
    Publish,
    dead_letter,
    describe,
    retry_delay,
)
from services.runtime.metrics import CONSUMER_PENDING

T = TypeVar("T")
log = logging.getLogger("relaydesk.consumer")


def dead_publisher(js: JetStreamContext) -> Publish:
    """Where a consumer's dead letters go: the DEADLETTER stream, through `js`."""

    async def publish(subject: str, data: bytes, headers: dict[str, str]) -> None:
        await js.publish(subject, data, headers=headers)

    return publish


async def give_back(raw: Msg, error: BaseException, spec: ConsumerSpec, dead: Publish) -> None:
    """A message its handler failed on: redelivered after the spec's backoff step, or moved
    to the dead-letter stream with the reason once it has had `max_deliver` attempts."""
    delivered = raw.metadata.num_delivered
    if delivered >= spec.max_deliver:
        await dead_letter(dead, raw, describe(error))
    else:
        await raw.nak(delay=retry_delay(delivered, spec.backoff))


async def process_batch(
    raws: Sequence[Msg],
    parse: Callable[[bytes], T],
    handle: Callable[[list[T]], Awaitable[object]],
    publish_dead: Publish,
    spec: ConsumerSpec,
) -> None:
    parsed: list[tuple[Msg, T]] = []
    for raw in raws:
        try:
            parsed.append((raw, parse(raw.data)))
        except PERMANENT_ERRORS as error:
            await dead_letter(publish_dead, raw, describe(error))
    if not parsed:
        return
    try:
        await handle([item for _, item in parsed])
    except Exception:
        log.warning("batch of %d failed; retrying one by one", len(parsed), exc_info=True)
    else:
        for raw, _ in parsed:
            await raw.ack()
        return
    for raw, item in parsed:
        try:
            await handle([item])
        except Exception as error:
            log.warning("%s: a message failed", spec.durable, exc_info=True)
            await give_back(raw, error, spec, publish_dead)
        else:
            await raw.ack()


async def consume_batches(
    js: JetStreamContext,
    spec: ConsumerSpec,
    handle: Callable[[list[Msg]], Awaitable[None]],
    batch_size: int,
    subscribed: asyncio.Event | None = None,
    from_ack_floor: bool = False,
) -> None:
    """Consume the durable `spec` forever, handing what has arrived (up to `batch_size`) to
    `handle`; `subscribed` is set once the consumer is there. Replicas share the consumer
    through its deliver group; `max_ack_pending` bounds what waits in memory, and anything
    unacked is redelivered after `ack_wait`. `from_ack_floor`: a consumer one holder reads at
    a time starts again at its first unacked message, so what the last holder left is
    delivered again in stream order, before anything newer."""
    arrived: list[Msg] = []
    ready = asyncio.Event()

    async def collect(msg: Msg) -> None:
        arrived.append(msg)
        ready.set()

    config = await _config_keeping_position(js, spec, from_ack_floor)
    sub = await js.subscribe(
        spec.filter_subject,
        queue=spec.durable,
        durable=spec.durable,
        stream=spec.stream,
        cb=collect,
        manual_ack=True,
        config=config,
        pending_msgs_limit=spec.max_ack_pending * 2,
    )
    if subscribed is not None:
        subscribed.set()
    try:
        while True:
            await ready.wait()
            ready.clear()
            while arrived:
                batch = arrived[:batch_size]
                del arrived[:batch_size]
                try:
                    await handle(batch)
                except Exception:
                    # Left unacked: JetStream redelivers after ack_wait.
                    log.exception("batch handler failed on %s", spec.durable)
    finally:
        # A subscription left open makes the connection's drain wait for its timeout.
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


async def _config_keeping_position(
    js: JetStreamContext, spec: ConsumerSpec, from_ack_floor: bool = False
) -> ConsumerConfig:
    """The consumer's config. A pull consumer of the same name (what outbound workers used
    before this module was their only path) is replaced by a push one that starts where it
    stopped: past what it acked, so nothing it finished is delivered again. With
    `from_ack_floor` any consumer is so replaced."""
    config = consumer_config(spec)
    try:
        info = await js.consumer_info(spec.stream, spec.durable)
    except NotFoundError:
        return config
    if info.config.deliver_subject and not from_ack_floor:
        return config
    start = (info.ack_floor.stream_seq if info.ack_floor else 0) + 1
    log.log(
        logging.INFO if from_ack_floor else logging.WARNING,
        "consumer %s starts again from stream seq %d",
        spec.durable,
        start,
    )
    await js.delete_consumer(spec.stream, spec.durable)
    config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
    config.opt_start_seq = start
    return config


async def report_lag(
    js: JetStreamContext, specs: Sequence[ConsumerSpec], interval: float = 5.0
) -> None:
    """Keep `relaydesk_consumer_pending` current: what waits in each durable consumer
    (`pending`) and what was delivered but not yet acked (`unacked`)."""
    while True:
        for spec in specs:
            try:
                info = await js.consumer_info(spec.stream, spec.durable)
            except Exception as error:  # not created yet, or NATS briefly away
                log.debug("no lag for %s this round: %s", spec.durable, error)
                continue
            CONSUMER_PENDING.labels(spec.durable, "pending").set(info.num_pending or 0)
            CONSUMER_PENDING.labels(spec.durable, "unacked").set(info.num_ack_pending or 0)
        await asyncio.sleep(interval)
