"""The reports service on real NATS: the seeded history published to EVENTS as the store
would, folded by the service, answered on `queries.reports.*`; a rebuild from the stream gives
identical tables; the inbox serves them with scopes and CSV."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts import commands as c
from contracts import directory as d
from contracts import streams, subjects
from contracts.presence import PRESENCE_BUCKET, AgentPresence
from contracts.reports import TABLES, ReportQuery, ReportTable
from services.runtime.kv import open_bucket
from services.runtime.nats_server import NatsServer
from tests.integration.processes import ServiceProcess
from tests.integration.test_store import drained
from tests.reports_history import BILLING, NOW, TECH, history, msk

pytestmark = pytest.mark.integration


@pytest.fixture
def services(nats_server: NatsServer, nc: Client, data_dir: Path) -> Iterator[None]:
    running = [ServiceProcess("store", nats_server.url, data_dir).start()]
    yield
    for process in running:
        process.stop()


async def put(nc: Client, command: d.DirectoryCommand) -> None:
    subject = subjects.directory_command(type(command).name)
    reply = c.COMMAND_REPLY.validate_json((await nc.request(subject, command.to_bytes(), 5)).data)
    assert reply.ok, reply


async def tables(nc: Client) -> dict[str, ReportTable]:
    found = {}
    for table in TABLES:
        until = NOW if table == "backlog" else msk(9, 0)
        query = ReportQuery(table=table, since=msk(7, 0), until=until, timezone="Europe/Moscow")
        reply = await nc.request(subjects.report_query(table), query.to_bytes(), timeout=5)
        found[table] = ReportTable.model_validate_json(reply.data)
    return found


async def test_a_rebuild_from_the_stream_gives_identical_tables(
    services: None, nats_server: NatsServer, nc: Client, js: JetStreamContext, data_dir: Path
) -> None:
    await put(nc, d.PutDepartment(actor="t", department=BILLING))
    await put(nc, d.PutDepartment(actor="t", department=TECH))
    reports = ServiceProcess("reports", nats_server.url, data_dir).start()
    try:
        for event in history():
            await js.publish(subjects.event(event.type), event.to_bytes())
        await drained(js, streams.REPORTS_EVENTS, timeout=30)
        live = await tables(nc)

        answer = await nc.request(subjects.REPORTS_REBUILD, b"{}", timeout=60)
        rebuilt = await tables(nc)
    finally:
        reports.stop()

    assert b'"ok": true' in answer.data
    assert live["response_times"].rows[0] == ["billing", "first_response", 1, 5400, 5400, 5400]
    assert rebuilt == live
    assert all(live[t].rows for t in TABLES if t != "online")  # presence is not on the stream


async def test_the_service_restarted_counts_nothing_twice(
    services: None, nats_server: NatsServer, nc: Client, js: JetStreamContext, data_dir: Path
) -> None:
    await put(nc, d.PutDepartment(actor="t", department=BILLING))
    reports = ServiceProcess("reports", nats_server.url, data_dir).start()
    for event in history():
        await js.publish(subjects.event(event.type), event.to_bytes())
    await drained(js, streams.REPORTS_EVENTS, timeout=30)
    before = await tables(nc)
    reports.stop()
    # As if every ack had been lost: the new consumer hands the whole stream over again.
    await js.delete_consumer(streams.REPORTS_EVENTS.stream, streams.REPORTS_EVENTS.durable)

    again = ServiceProcess("reports", nats_server.url, data_dir).start()
    try:
        await drained(js, streams.REPORTS_EVENTS, timeout=30)
        after = await tables(nc)
    finally:
        again.stop()

    assert after == before


async def test_heartbeats_become_agents_online_time(
    services: None, nats_server: NatsServer, nc: Client, js: JetStreamContext, data_dir: Path
) -> None:
    presence = await open_bucket(js, PRESENCE_BUCKET, ttl=60)
    reports = ServiceProcess("reports", nats_server.url, data_dir).start()
    start = msk(7, 10).timestamp()
    try:
        # The bucket keeps one value per agent: beats put before the service's watcher starts
        # (it may, a moment after the service answers /healthz) would reach it as the last one.
        async with asyncio.timeout(10):
            while (await js.stream_info(f"KV_{PRESENCE_BUCKET}")).state.consumer_count < 1:
                await asyncio.sleep(0.05)
        for at, status in ((0, "online"), (20, "online"), (45, "away"), (70, "online")):
            beat = AgentPresence(status=status, at=start + at)  # type: ignore[arg-type]
            await presence.put("anna", beat.to_bytes())
        query = ReportQuery(table="online", since=msk(7, 0), until=msk(8, 0))
        async with asyncio.timeout(10):
            while True:
                reply = await nc.request(subjects.report_query("online"), query.to_bytes(), 5)
                found = ReportTable.model_validate_json(reply.data)
                if found.rows and found.rows[0][1] >= 45:
                    break
                await asyncio.sleep(0.2)
    finally:
        reports.stop()

    assert found.rows == [["anna", 45]]  # online 0-20 and 20-45; away 45-70 does not count


async def test_relaydesk_reports_rebuild_asks_the_running_service(
    services: None, nats_server: NatsServer, nc: Client, js: JetStreamContext, data_dir: Path
) -> None:
    reports = ServiceProcess("reports", nats_server.url, data_dir).start()
    try:
        for event in history():
            await js.publish(subjects.event(event.type), event.to_bytes())
        await drained(js, streams.REPORTS_EVENTS, timeout=30)
        env = {**os.environ, "RELAYDESK_NATS_URL": nats_server.url}
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "services.runtime.cli", "reports", "rebuild"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        reports.stop()

    assert done.returncode == 0, done.stderr
    assert f'"events": {len(history())}' in done.stdout
