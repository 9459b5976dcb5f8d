"""The broker connection: a FastStream NatsBroker, idempotent stream and consumer provisioning."""

import asyncio
import logging
from collections.abc import Iterable

import nats
from faststream.nats import ConsumerConfig, NatsBroker
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from contracts import streams
from contracts.streams import ConsumerSpec, StreamSpec
from services.runtime.config import BaseServiceSettings
from services.runtime.logging import mask_secrets

log = logging.getLogger("relaydesk.broker")


def make_broker(settings: BaseServiceSettings, service: str) -> NatsBroker:
    """The service's connection, for core request/reply subscribers and publishing. Streams
    are consumed through `services.runtime.consumer`, never through FastStream subscribers."""
    bus_log = logging.getLogger(f"relaydesk.{service}.bus")
    if settings.log_level.upper() != "DEBUG":
        # FastStream narrates its task supervision at INFO; only problems matter in production.
        bus_log.setLevel(logging.WARNING)
    broker = NatsBroker(
        settings.nats_servers,
        name=f"relaydesk-{service}",
        connect_timeout=max(1, round(settings.connect_timeout)),
        logger=bus_log,
        # FastStream logs two lines per message at INFO: keep them for DEBUG only.
        log_level=logging.DEBUG,
        max_reconnect_attempts=-1,
    )
    return broker


def stream_config(spec: StreamSpec, replicas: int) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        storage=StorageType.FILE,
        num_replicas=replicas,
        max_age=spec.max_age,
        duplicate_window=spec.duplicate_window,
    )


async def ensure_streams(
    js: JetStreamContext, specs: Iterable[StreamSpec] = streams.ALL_STREAMS, replicas: int = 1
) -> None:
    """Create each stream, or bring an existing one to its spec. Safe to run on every start."""
    for spec in specs:
        config = stream_config(spec, replicas)
        try:
            current = (await js.stream_info(spec.name)).config
        except NotFoundError:
            try:
                await js.add_stream(config)
                log.info("created stream %s", spec.name)
                continue
            except BadRequestError:
                # Another service created it a moment ago: compare with theirs below.
                current = (await js.stream_info(spec.name)).config
        if (
            sorted(current.subjects or []) != sorted(config.subjects or [])
            or current.max_age != config.max_age
            or current.duplicate_window != config.duplicate_window
        ):
            await js.update_stream(config)
            log.info("updated stream %s", spec.name)


def consumer_config(spec: ConsumerSpec) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=spec.durable,
        filter_subject=spec.filter_subject,
        ack_policy=JsAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=spec.ack_wait,
        max_ack_pending=spec.max_ack_pending,
        # Unlimited on the server: services.runtime.consumer gives up after spec.max_deliver.
        max_deliver=-1,
    )


async def check_nats(url: str, timeout: float) -> None:
    """Connect once and disconnect; raises ConnectionError naming the URL if unreachable."""

    async def quiet(error: Exception) -> None:
        return None  # the one-line message below says it all

    try:
        nc = await asyncio.wait_for(
            nats.connect(
                url,
                connect_timeout=timeout,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                error_cb=quiet,
            ),
            timeout + 1,
        )
    except Exception as error:
        reason = str(error) or type(error).__name__
        shown = mask_secrets(url)  # the URL may carry the login
        raise ConnectionError(f"cannot reach NATS at {shown}: {mask_secrets(reason)}") from None
    await nc.close()
