"""The reports service wiring: EVENTS in through its durable consumer, folded into the tables;
report queries answered on `queries.reports.<table>`; a rebuild on `commands.reports.rebuild`.
One replica: the tables are one SQLite file (the figures are read far more than written).
"""

import asyncio
import logging

from nats.aio.msg import Msg
from nats.js.errors import BucketNotFoundError
from pydantic import ValidationError
from starlette.applications import Starlette

from contracts import streams, subjects
from contracts.directory import Directory
from contracts.presence import PRESENCE_BUCKET, AgentPresence
from contracts.reports import ReportError, ReportQuery
from contracts.service_levels import BusinessCalendar
from services.reports import materialize, online
from services.reports.figures import FIGURES
from services.reports.fold import read
from services.reports.settings import ReportsSettings
from services.reports.tables import Tables
from services.runtime.broker import make_broker
from services.runtime.consumer import consume_batches, report_lag
from services.runtime.http import service_app
from services.runtime.kv import bucket_ttl
from services.runtime.metrics import ERRORS, MESSAGES
from services.runtime.store_client import StoreClient, StoreUnavailable
from services.runtime.workers import Workers
from services.sla.business_hours import ALWAYS

log = logging.getLogger("relaydesk.reports")


class Calendars:
    """Each department's working hours, as the directory says now."""

    def __init__(self) -> None:
        self.known: dict[str, BusinessCalendar] = {}

    def set(self, directory: Directory) -> None:
        self.known = {d.id: d.calendar for d in directory.departments if d.calendar}

    def __call__(self, department: str | None) -> BusinessCalendar:
        return self.known.get(department or "", ALWAYS)


def create_app(settings: ReportsSettings | None = None) -> Starlette:
    settings = settings or ReportsSettings()
    broker = make_broker(settings, "reports")
    tables = Tables(settings.data_dir / "reports.sqlite3")
    calendars = Calendars()
    workers = Workers()
    writing = asyncio.Lock()  # a rebuild and the live fold never interleave

    async def refresh(store: StoreClient) -> None:
        while True:
            try:
                calendars.set(await store.directory())
                return
            except StoreUnavailable:
                await asyncio.sleep(1)

    async def start() -> None:
        nc = broker.connection
        js = nc.jetstream()
        store = StoreClient(nc)
        await refresh(store)
        materialize.tune_gc()

        async def on_events(batch: list[Msg]) -> None:
            items = []
            for msg in batch:
                try:
                    items.append((msg.metadata.sequence.stream, read(msg.data)))
                except ValueError:  # kept in the stream; the figures go on without it
                    log.warning("unreadable event at seq %s", msg.metadata.sequence.stream)
                    ERRORS.labels("reports", "unreadable_event").inc()
            if any(e.type == "directory.changed" for _, e in items):
                await refresh(store)
            async with writing:
                await asyncio.to_thread(materialize.apply, tables, items, calendars)
            for msg in batch:
                await msg.ack()
            MESSAGES.labels("reports", "", "in").inc(len(batch))

        async def answer(msg: Msg) -> None:
            try:
                query = ReportQuery.model_validate_json(msg.data)
                table = await asyncio.to_thread(FIGURES[query.table], tables, query)
                await msg.respond(table.to_bytes())
            except (ValidationError, ValueError, KeyError) as error:
                await msg.respond(ReportError(code="invalid", message=str(error)).to_bytes())
            except Exception:
                log.exception("report query failed")
                await msg.respond(ReportError(code="internal", message="failed").to_bytes())

        async def on_rebuild(msg: Msg) -> None:
            async with writing:
                done = await materialize.rebuild(js, tables, calendars)
            await msg.respond(f'{{"ok": true, "events": {done}}}'.encode())

        async def follow_presence() -> None:
            """Heartbeats from the presence bucket into agents' online time."""
            while True:
                try:
                    kv = await js.key_value(PRESENCE_BUCKET)
                    break
                except BucketNotFoundError:  # the inbox creates it with its TTL
                    await asyncio.sleep(2)
            ttl = await bucket_ttl(js, PRESENCE_BUCKET) or 60.0
            seen = await asyncio.to_thread(tables.seen)
            watcher = await kv.watchall()
            async for entry in watcher:
                if entry is None or entry.operation in ("DEL", "PURGE") or not entry.value:
                    continue
                try:
                    heartbeat = AgentPresence.model_validate_json(entry.value)
                except ValueError:
                    continue
                state, pieces = online.beat(
                    seen.get(entry.key), heartbeat.status, heartbeat.at, ttl
                )
                if state is not None and state is not seen.get(entry.key):
                    seen[entry.key] = state
                    await asyncio.to_thread(tables.beat, entry.key, state, pieces)

        await nc.subscribe(subjects.REPORT_QUERIES_ALL, cb=answer)
        await nc.subscribe(subjects.REPORTS_REBUILD, cb=on_rebuild)
        workers.start(
            consume_batches(js, streams.REPORTS_EVENTS, on_events, settings.reports_batch_size),
            report_lag(js, [streams.REPORTS_EVENTS]),
            follow_presence(),
        )

    async def stop() -> None:
        await workers.stop()
        tables.close()

    return service_app(
        "reports",
        broker,
        settings,
        settings.reports_port,
        after_startup=[start],
        before_shutdown=[stop],
    )
