"""Production stream settings on a real three-node cluster: streams are created at the
replicas asked for, and an existing stream is brought to new settings in place, keeping its
messages (R1 to R3, caps on)."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy
from nats.js.errors import NoStreamResponseError

from contracts import streams
from services.runtime.broker import differences, ensure_streams, stream_config
from services.runtime.kv import open_bucket
from tests.nats_cluster import NatsCluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    nodes = NatsCluster(tmp_path_factory.mktemp("cluster")).start()
    yield nodes
    nodes.stop()


@pytest.fixture
async def js(cluster: NatsCluster) -> AsyncIterator[JetStreamContext]:
    await cluster.ready()
    nc = await nats.connect(cluster.urls)
    js = nc.jetstream()
    for info in await js.streams_info():
        await js.delete_stream(info.config.name)
    yield js
    await nc.close()


async def test_streams_are_created_at_the_replicas_asked_for(js: JetStreamContext) -> None:
    await ensure_streams(js, replicas=3)

    for spec in streams.ALL_STREAMS:
        info = await js.stream_info(spec.name)
        assert info.config.num_replicas == 3
        assert info.cluster is not None and len(info.cluster.replicas or []) == 2


async def publish_once_reachable(js: JetStreamContext, subject: str, data: bytes) -> None:
    """A stream just made on one node of the cluster answers on the others only once its
    subjects' interest has spread there (seen once in CI: "no responders" right after)."""
    for _ in range(50):
        try:
            await js.publish(subject, data)
            return
        except NoStreamResponseError:
            await asyncio.sleep(0.1)
    await js.publish(subject, data)


async def test_an_existing_stream_moves_to_r3_and_its_caps_in_place(js: JetStreamContext) -> None:
    await ensure_streams(js, [streams.INBOUND], replicas=1)
    for n in range(10):
        await publish_once_reachable(js, "inbound.telegram", f"m{n}".encode())

    await ensure_streams(js, [streams.INBOUND], replicas=3, capped=True)

    info = await js.stream_info(streams.INBOUND.name)
    assert info.config.num_replicas == 3
    assert info.config.max_bytes == streams.INBOUND.max_bytes
    assert info.config.discard == DiscardPolicy.NEW
    assert info.state.messages == 10


async def test_a_full_dead_letter_stream_drops_its_oldest(js: JetStreamContext) -> None:
    await ensure_streams(js, [streams.DEAD_LETTER], replicas=3, capped=True)

    info = await js.stream_info(streams.DEAD_LETTER.name)
    assert info.config.discard == DiscardPolicy.OLD


async def test_a_stream_at_its_settings_shows_no_difference(js: JetStreamContext) -> None:
    """What the server gives back compares equal to what was asked: a restart updates nothing."""
    await ensure_streams(js, streams.ALL_STREAMS, replicas=3, capped=True)

    for spec in streams.ALL_STREAMS:
        current = (await js.stream_info(spec.name)).config
        assert differences(current, stream_config(spec, 3, capped=True)) == []


async def test_a_kv_bucket_follows_the_desks_replicas(js: JetStreamContext) -> None:
    await ensure_streams(js, [streams.INBOUND], replicas=1)
    await open_bucket(js, "delivered-telegram", 60.0)
    await ensure_streams(js, [streams.INBOUND], replicas=3)

    bucket = await open_bucket(js, "delivered-telegram", 60.0)

    assert (await js.stream_info("KV_delivered-telegram")).config.num_replicas == 3
    await until_current(js, "KV_delivered-telegram")  # the new peers elect a leader first
    await bucket.put("o1", b"m-1")
    assert (await bucket.get("o1")).value == b"m-1"


async def until_current(js: JetStreamContext, stream: str) -> None:
    for _ in range(100):
        cluster = (await js.stream_info(stream)).cluster
        peers = cluster.replicas or [] if cluster else []
        if cluster and cluster.leader and len(peers) == 2 and all(p.current for p in peers):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{stream} has no leader with current replicas")
