"""Shared fixtures: one real nats-server per test session, fresh streams for every test."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from services.runtime.broker import ensure_streams
from services.runtime.nats_server import NatsServer


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("nats"), port=0).start()
    yield server
    server.stop()


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[Client]:
    """A client on a clean server: every stream and KV bucket of earlier tests is gone."""
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    for info in await js.streams_info():
        await js.delete_stream(info.config.name)
    await ensure_streams(js)
    yield client
    await client.drain()


@pytest.fixture
def js(nc: Client) -> JetStreamContext:
    return nc.jetstream()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"
