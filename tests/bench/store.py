"""Store ingest benchmark: 50,000 pre-published inbound messages until all are stored, by one
store and then by two replicas sharing the database file, beside the raw rates of JetStream
consume+ack and of batched SQLite inserts of the same rows."""

import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from contracts import streams, subjects
from contracts.messages import InboundMessage, Sender
from contracts.streams import StreamSpec
from services.runtime.broker import ensure_streams
from services.runtime.nats_server import NatsServer
from services.store.sqlite.schema import PRAGMAS, SCHEMA
from tests.bench.cpu import CpuMeter, cores_needed, pids
from tests.integration.processes import ServiceProcess

TOTAL = 50_000
THREADS = 5_000
BATCH = 500
TARGET = 10_000


def messages(account: str = "bench") -> list[InboundMessage]:
    return [
        InboundMessage(
            channel="telegram",
            account=account,
            thread_key=f"chat-{n % THREADS}",
            external_id=str(n),
            sender=Sender(channel_user_id=f"u{n % THREADS}", display_name="Клиент Бенчмарков"),
            text=f"Здравствуйте, не проходит оплата заказа №{n} 🙏",
        )
        for n in range(TOTAL)
    ]


async def publish(js: JetStreamContext, subject: str, payloads: list[tuple[bytes, str]]) -> None:
    for start in range(0, len(payloads), BATCH):
        await asyncio.gather(
            *(
                js.publish(subject, data, headers={streams.MSG_ID: msg_id})
                for data, msg_id in payloads[start : start + BATCH]
            )
        )


async def raw_consume_rate(js: JetStreamContext, payloads: list[tuple[bytes, str]]) -> float:
    """The fastest consume+ack nats-py gave us: a push consumer whose callback only collects
    (`fetch(n)` reached a quarter of this), acking each message as the store does."""
    spec = StreamSpec("BENCHRAW", ("benchraw.>",), 3600)
    await ensure_streams(js, [spec])
    await publish(js, "benchraw.x", payloads)
    arrived: list[Msg] = []
    ready = asyncio.Event()

    async def collect(msg: Msg) -> None:
        arrived.append(msg)
        ready.set()

    started, seen = time.perf_counter(), 0
    sub = await js.subscribe(
        "benchraw.>",
        durable="bench",
        stream="BENCHRAW",
        cb=collect,
        manual_ack=True,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, max_ack_pending=2000),
    )
    while seen < len(payloads):
        await ready.wait()
        ready.clear()
        batch, arrived[:] = list(arrived), []
        for msg in batch:
            await msg.ack()
        seen += len(batch)
    rate = seen / (time.perf_counter() - started)
    await sub.unsubscribe()
    await js.delete_stream("BENCHRAW")
    return rate


def raw_sqlite_rate(path: Path, rows: list[InboundMessage]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.executescript(SCHEMA)
    values = [(m.id, f"t{m.thread_key}", m.dedupe_key, m.model_dump_json()) for m in rows]
    started = time.perf_counter()
    for start in range(0, len(values), BATCH):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO messages (id, ticket_id, dedupe_key, doc) VALUES (?, ?, ?, ?)",
            values[start : start + BATCH],
        )
        conn.execute("COMMIT")
    rate = len(values) / (time.perf_counter() - started)
    conn.close()
    return rate


def stored(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


async def ingest_rate(
    server: NatsServer,
    js: JetStreamContext,
    data_dir: Path,
    rows: list[InboundMessage],
    replicas: int = 1,
) -> tuple[float, dict[str, float]]:
    """Messages stored per second by `replicas` store processes sharing the database file,
    and the CPU each process spent per message meanwhile."""
    await publish(js, subjects.inbound("telegram"), [(m.to_bytes(), m.dedupe_key) for m in rows])
    stores = [ServiceProcess("store", server.url, data_dir).start() for _ in range(replicas)]
    assert server.process
    processes = {
        "store" if replicas == 1 else "stores": pids(stores),
        "nats-server": [server.process.pid],
    }
    try:
        db = data_dir / "store.sqlite3"
        first_count, first_at = 0, 0.0
        meter: CpuMeter | None = None
        while (count := stored(db)) < len(rows):
            if count and not first_at:
                first_count, first_at = count, time.perf_counter()
                meter = CpuMeter(processes)  # from the first stored row: start-up is not ingest
            await asyncio.sleep(0.01)
        assert meter is not None
        return (
            (len(rows) - first_count) / (time.perf_counter() - first_at),
            meter.per_message(len(rows) - first_count),
        )
    finally:
        for store in stores:
            store.stop()


async def main() -> dict[str, Any]:
    rows = messages()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with NatsServer(root / "nats", port=0) as server:
            nc = await nats.connect(server.url)
            js = nc.jetstream()
            await ensure_streams(js)
            raw_js = await raw_consume_rate(js, [(m.to_bytes(), m.dedupe_key) for m in rows])
            raw_sql = raw_sqlite_rate(root / "raw.sqlite3", rows)
            ingest, cpu = await ingest_rate(server, js, root / "var", rows)
            # Other accounts, other dedupe keys: JetStream would drop the same messages again.
            two, two_cpu = await ingest_rate(server, js, root / "two", messages("two"), 2)
            await nc.close()
    return {
        "messages": TOTAL,
        "threads": THREADS,
        "ingest_msgs_per_s": round(ingest),
        "raw_js_consume_msgs_per_s": round(raw_js),
        "raw_sqlite_insert_rows_per_s": round(raw_sql),
        "ratio": round(ingest / min(raw_js, raw_sql), 3),
        "cpu_us_per_msg": cpu,
        "cores_needed_at_target": cores_needed(cpu, TARGET),
        # A second replica overlaps parsing and publishing with the other's transaction.
        "two_replicas": {"ingest_msgs_per_s": round(two), "cpu_us_per_msg": two_cpu},
        "targets": {"ingest_msgs_per_s": TARGET, "ratio": 0.4},
    }


def run() -> dict[str, Any]:
    return asyncio.run(main())
