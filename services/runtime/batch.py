"""Batch consumption with per-message failure handling, shared by every batch consumer.

Why not FastStream's `PullSub(batch=True)`: it keeps fetching until the batch is full or its
timeout passes, so on quiet traffic every message waits the whole timeout. nats-py's
`fetch(n)` returns at once with whatever is available (up to n): large batches under load,
no added latency when quiet.

A batch is parsed message by message (bad payloads are dead-lettered at once), handled in
one go, and acked. If the handler fails, the batch is retried one message at a time, so one
poison message is nacked with backoff (and dead-lettered after `max_deliver`) while every
message behind it is still stored.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext
from nats.js.errors import ServiceUnavailableError

from contracts import streams
from contracts.streams import ConsumerSpec
from services.runtime.broker import consumer_config
from services.runtime.deadletter import (
    PERMANENT_ERRORS,
    Publish,
    dead_letter,
    describe,
    retry_delay,
)

T = TypeVar("T")
log = logging.getLogger("relaydesk.batch")


async def process_batch(
    raws: Sequence[Msg],
    parse: Callable[[bytes], T],
    handle: Callable[[list[T]], Awaitable[object]],
    publish_dead: Publish,
    max_deliver: int = streams.MAX_DELIVER,
    backoff: tuple[float, ...] = streams.BACKOFF,
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
            delivered = raw.metadata.num_delivered
            if delivered >= max_deliver:
                await dead_letter(publish_dead, raw, describe(error))
            else:
                await raw.nak(delay=retry_delay(delivered, backoff))
        else:
            await raw.ack()


async def consume_batches(
    js: JetStreamContext,
    spec: ConsumerSpec,
    handle: Callable[[list[Msg]], Awaitable[None]],
    batch_size: int,
) -> None:
    """Pull from the durable consumer `spec` forever, handing each fetched batch to `handle`.
    Unacked messages are redelivered after `ack_wait`, so a crash here loses nothing."""
    sub = await js.pull_subscribe(
        spec.filter_subject, durable=spec.durable, stream=spec.stream, config=consumer_config(spec)
    )
    try:
        while True:
            try:
                batch = await sub.fetch(batch_size, timeout=5)
            except TimeoutError:
                continue
            except (ConnectionClosedError, ServiceUnavailableError):
                await asyncio.sleep(1)
                continue
            try:
                await handle(batch)
            except Exception:
                # Left unacked: JetStream redelivers after ack_wait.
                log.exception("batch handler failed on %s", spec.durable)
    finally:
        # A pull subscription left open makes the connection's drain wait for its timeout.
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
