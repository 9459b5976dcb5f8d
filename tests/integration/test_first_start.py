"""What a fresh desk starts with (`relaydesk up`'s first start) on a real store."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from contracts import directory as d
from services.inbox.accounts import bootstrap
from services.runtime.nats_server import NatsServer
from services.runtime.store_client import StoreClient
from tests.integration.processes import ServiceProcess

pytestmark = pytest.mark.integration


@pytest.fixture
def store(nats_server: NatsServer, nc: Client, data_dir: Path) -> Iterator[None]:
    process = ServiceProcess("store", nats_server.url, data_dir).start()
    yield
    process.stop()


async def test_a_fresh_desk_acknowledges_and_holds_tickets_to_a_day_and_urgent_to_an_hour(
    store: None, nc: Client
) -> None:
    client = StoreClient(nc)

    admin, password = await bootstrap(client, None, "first-password-1")
    directory = await client.directory()

    assert admin is not None and password is None
    (support,) = directory.departments
    assert support.id == "support" and support.acknowledge
    minutes = {p.name: p.first_response_minutes for p in directory.sla_policies}
    assert minutes == {"Urgent": 60, "Standard": 24 * 60}


async def test_a_second_start_keeps_the_policies_an_admin_changed(store: None, nc: Client) -> None:
    client = StoreClient(nc)
    await bootstrap(client, None, "first-password-1")
    await client.directory_command(d.SetSlaPolicies(actor="admin", policies=[]))

    await bootstrap(client, None, "first-password-1")

    assert (await client.directory()).sla_policies == []
