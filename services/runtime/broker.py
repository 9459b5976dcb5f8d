"""The broker connection: a FastStream NatsBroker, idempotent stream and consumer provisioning."""

import asyncio
import logging
from collections.abc import Iterable, Sequence

import nats
from faststream.nats import ConsumerConfig, NatsBroker
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import DeliverPolicy, DiscardPolicy, StorageType, StreamConfig
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


def stream_config(spec: StreamSpec, replicas: int, capped: bool = False) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        storage=StorageType.FILE,
        num_replicas=replicas,
        max_age=spec.max_age,
        duplicate_window=spec.duplicate_window,
        max_bytes=spec.max_bytes if capped else -1,
        discard=DiscardPolicy.NEW if spec.discard_new else DiscardPolicy.OLD,
    )


# What NATS lets change on a stream that exists; storage and retention it does not.
CHANGEABLE = (
    "subjects", "max_age", "duplicate_window", "num_replicas", "max_bytes", "discard",
    "description",
)  # fmt: skip


def differences(current: StreamConfig, wanted: StreamConfig) -> list[str]:
    """The settings of `current` that are not yet `wanted`'s (subjects in any order)."""

    def norm(config: StreamConfig, name: str) -> object:
        value = getattr(config, name)
        if name == "subjects":
            return sorted(value or [])
        if name == "num_replicas":
            return value or 1
        if name == "max_bytes":
            return -1 if value in (None, 0) else value
        if name == "discard":
            return value or DiscardPolicy.OLD
        return value

    return [n for n in CHANGEABLE if norm(current, n) != norm(wanted, n)]


async def ensure_streams(
    js: JetStreamContext,
    specs: Iterable[StreamSpec] = streams.ALL_STREAMS,
    replicas: int = 1,
    capped: bool = False,
) -> None:
    """Create each stream, or bring an existing one to its spec in place (replicas, limits,
    subjects). Safe to run on every start, from every service at once."""
    for spec in specs:
        config = stream_config(spec, replicas, capped)
        try:
            current = (await js.stream_info(spec.name)).config
        except NotFoundError:
            try:
                await js.add_stream(config)
                log.info("created stream %s (R%d)", spec.name, replicas)
                continue
            except BadRequestError:
                # Another service created it a moment ago: compare with theirs below.
                current = (await js.stream_info(spec.name)).config
        if changed := differences(current, config):
            await js.update_stream(config)
            log.info("updated stream %s: %s", spec.name, ", ".join(changed))


def deliver_subject(spec: ConsumerSpec) -> str:
    """Where a push consumer's messages go; under `_INBOX.`, which every service may read."""
    return f"_INBOX.relaydesk.{spec.stream}.{spec.durable}"


def consumer_config(spec: ConsumerSpec) -> ConsumerConfig:
    return ConsumerConfig(
        # The name too: nats-py then creates it on `$JS.API.CONSUMER.CREATE.<stream>.<name>.
        # <filter>`, which the per-service permissions in deploy/nats/relaydesk.conf allow; with
        # the durable name alone it uses the older DURABLE.CREATE subject, which they do not.
        name=spec.durable,
        durable_name=spec.durable,
        # Every replica asks for the same deliver subject. With nats-py's default (a fresh
        # inbox each), two replicas creating the consumer at once both succeed, the second
        # as an update that moves delivery to its own inbox: the first replica then sat in
        # the deliver group on a subject nothing was sent to and took no work at all.
        deliver_subject=deliver_subject(spec),
        deliver_group=spec.durable,
        filter_subject=spec.filter_subject,
        ack_policy=JsAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=spec.ack_wait,
        max_ack_pending=spec.max_ack_pending,
        # Unlimited on the server: services.runtime.consumer gives up after spec.max_deliver.
        max_deliver=-1,
    )


async def check_nats(urls: str | Sequence[str], timeout: float) -> None:
    """Connect once and disconnect; raises ConnectionError naming the URLs if none answers.
    With a cluster's URLs any one node is enough: a service must start while a node is down."""
    servers = [urls] if isinstance(urls, str) else list(urls)

    async def quiet(error: Exception) -> None:
        return None  # the one-line message below says it all

    try:
        nc = await asyncio.wait_for(
            nats.connect(
                servers,
                connect_timeout=timeout,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                error_cb=quiet,
                dont_randomize=True,
            ),
            (timeout + 1) * len(servers),
        )
    except Exception as error:
        reason = str(error) or type(error).__name__
        shown = mask_secrets(",".join(servers))  # the URLs may carry the login
        raise ConnectionError(f"cannot reach NATS at {shown}: {mask_secrets(reason)}") from None
    await nc.close()
