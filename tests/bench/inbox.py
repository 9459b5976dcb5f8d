"""Inbox read benchmark: 100,000 tickets and 1,000,000 messages in the embedded store, then
through the real inbox API (HTTP -> NATS -> store -> back): opening a ticket with 500 messages,
a filtered queue page, and a full-text search in Russian, English, Thai and Hindi.

The store is filled in-process through its own writer (the same `ingest` and `route` code the
service runs, in batches), because pushing a million messages over the bus would measure the
ingest benchmark again, for twenty minutes.
"""

import asyncio
import hashlib
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import nats

from contracts import commands as c
from contracts import directory as d
from contracts import subjects
from contracts.messages import InboundMessage, Sender
from services.inbox.passwords import hash_password
from services.runtime.broker import ensure_streams
from services.runtime.nats_server import NatsServer
from services.store.settings import StoreSettings
from services.store.sqlite import SqliteRepository
from services.store.sqlite.schema import SCHEMA
from services.store.writer import Writer
from tests.bench.router import percentile
from tests.e2e.conftest import ARGS, CHROMIUM
from tests.e2e.paint import open_times_in_chromium
from tests.integration.processes import ServiceProcess

TICKETS = 100_000
MESSAGES = 1_000_000
BIG = 500  # messages of the ticket that is opened
DEPARTMENTS = ["billing", "tech", "sales", "delivery", "support"]
TOPICS = [
    "не проходит оплата заказа",
    "приложение не работает после обновления",
    "where is my parcel, tracking shows nothing",
    "การชำระเงินล้มเหลว กรุณาช่วยด้วย",
    "भुगतान विफल हो गया कृपया मदद करें",
    "хочу вернуть товар, коробка помята 📦",
]
SAMPLES = 200
UI_SAMPLES = 40
CHROMIUM_PRESENT = Path(CHROMIUM).exists()
CACHE = Path(__file__).parent / ".cache"  # git-ignored
PASSWORD = "bench-password"


def inbound(thread: int, n: int) -> InboundMessage:
    return InboundMessage(
        channel="telegram",
        account="bench",
        thread_key=f"chat-{thread}",
        external_id=f"{thread}-{n}",
        sender=Sender(channel_user_id=f"u{thread}", display_name=f"Клиент Номер{thread}"),
        text=f"{TOPICS[(thread + n) % len(TOPICS)]} №{thread * 100 + n}",
    )


async def fill(data_dir: Path) -> str:
    """Returns the id of the ticket with BIG messages."""

    async def nowhere(entries: Any) -> None:  # events are not published while filling
        return None

    repo = SqliteRepository(StoreSettings(data_dir=data_dir).sqlite_path)
    await repo.setup()
    writer = Writer(repo, nowhere)
    per_ticket = (MESSAGES - BIG) // (TICKETS - 1)
    await writer.ingest([inbound(0, n) for n in range(BIG)])
    batch: list[InboundMessage] = []
    for thread in range(1, TICKETS):
        batch += [inbound(thread, n) for n in range(per_ticket)]
        if len(batch) >= 5_000:
            await writer.ingest(batch)
            batch = []
    if batch:
        await writer.ingest(batch)
    tickets = [t for t in await _all_tickets(repo)]
    big = next(t.id for t in tickets if t.thread_key == "chat-0")
    routes: list[c.Command] = [
        c.RouteTicket(actor="bench", ticket_id=t.id, department=DEPARTMENTS[i % len(DEPARTMENTS)])
        for i, t in enumerate(tickets)
    ]
    for start in range(0, len(routes), 2_000):
        await writer.execute_many(routes[start : start + 2_000])
    await repo.close()
    with sqlite3.connect(StoreSettings(data_dir=data_dir).sqlite_path) as db:
        db.execute("UPDATE outbox SET published_ts = 0 WHERE published_ts IS NULL")
    return big


async def _all_tickets(repo: SqliteRepository) -> list[Any]:
    from contracts.queries import ListTickets

    found: list[Any] = []
    cursor = None
    while True:
        page = await repo.list_tickets(ListTickets(limit=500, cursor=cursor))
        found += page.items
        if not page.next_cursor:
            return found
        cursor = page.next_cursor


async def timed(client: httpx.AsyncClient, calls: list[tuple[str, dict[str, Any]]]) -> list[float]:
    took = []
    for path, params in calls:
        started = time.perf_counter()
        reply = await client.get(path, params=params)
        took.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, reply.text
    return took


async def ui_open(client: httpx.AsyncClient, url: str, email: str, big: str) -> dict[str, Any]:
    """Click to painted for the 500-message ticket in headless Chromium (an agent's note
    first makes it the newest activity, so it is in the list of all open tickets)."""
    if not CHROMIUM_PRESENT:
        return {"ui_open_ticket_p95_ms": None, "ui_skipped": "no Chromium: apt install chromium"}
    note = {"text": "Проверяю историю заказа", "internal": True}
    reply = await client.post(f"/api/v1/tickets/{big}/messages", json=note)
    assert reply.status_code in (200, 201), reply.text
    times = await open_times_in_chromium(
        Path(CHROMIUM), ARGS, url, (email, PASSWORD), big, UI_SAMPLES
    )
    return {
        "ui_open_ticket_p95_ms": round(percentile(times, 95), 1),
        "ui_open_ticket_p50_ms": round(percentile(times, 50), 1),
        "ui_open_ticket_samples": len(times),
    }


def summary(values: list[float], high: int) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50), 2),
        f"p{high}_ms": round(percentile(values, high), 2),
    }


def _cached() -> Path:
    key = hashlib.sha256(f"{SCHEMA}{TICKETS}{MESSAGES}{BIG}".encode()).hexdigest()[:12]
    return CACHE / f"inbox-{key}.sqlite3"


def _reuse(data_dir: Path) -> str | None:
    cached, target = _cached(), StoreSettings(data_dir=data_dir).sqlite_path
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (cached.exists() and cached.with_suffix(".big").exists()):
        return None
    shutil.copyfile(cached, target)
    return cached.with_suffix(".big").read_text()


def _keep(data_dir: Path, big: str) -> None:
    cached = _cached()
    CACHE.mkdir(exist_ok=True)
    shutil.copyfile(StoreSettings(data_dir=data_dir).sqlite_path, cached)
    cached.with_suffix(".big").write_text(big)


async def filled(data_dir: Path) -> tuple[str, float]:
    """Fill `data_dir`, or copy a fill made earlier with the same schema (it takes minutes)."""
    big = _reuse(data_dir)
    if big is not None:
        return big, 0.0
    started = time.perf_counter()
    big = await fill(data_dir)
    took = time.perf_counter() - started
    _keep(data_dir, big)
    return big, took


async def main() -> dict[str, Any]:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        big, filled_s = await filled(root / "var")
        size_mb = StoreSettings(data_dir=root / "var").sqlite_path.stat().st_size / 1e6
        with NatsServer(root / "nats", port=0) as server:
            nc = await nats.connect(server.url)
            await ensure_streams(nc.jetstream())
            store = ServiceProcess("store", server.url, root / "var").start(timeout=120)
            inbox = ServiceProcess("inbox", server.url, root / "var").start(timeout=60)
            try:
                admin = d.AgentView(email="bench@desk.test", name="Bench", role="admin")
                command = d.PutAgent(
                    actor="bench", agent=admin, password_hash=hash_password(PASSWORD)
                )
                await nc.request(subjects.directory_command("put_agent"), command.to_bytes(), 5)
                async with httpx.AsyncClient(base_url=str(inbox.url), timeout=30) as client:
                    login = await client.post(
                        "/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD}
                    )
                    client.headers["Authorization"] = f"Bearer {login.json()['token']}"
                    await timed(client, [(f"/api/v1/tickets/{big}", {})] * 5)  # warm caches
                    open_ticket = await timed(client, [(f"/api/v1/tickets/{big}", {})] * SAMPLES)
                    filters = {"status": "open", "assignee": "none", "limit": 50}
                    queue = [
                        ("/api/v1/tickets", {**filters, "department": rng.choice(DEPARTMENTS)})
                        for _ in range(SAMPLES)
                    ]
                    queue_page = await timed(client, queue)
                    words = ["оплата", "parcel", "ชำระเงิน", "भुगतान", "коробка", "Номер4242"]
                    numbers = [f"№{rng.randrange(TICKETS * 100)}" for _ in range(SAMPLES)]
                    searches = [
                        ("/api/v1/search", {"q": rng.choice([*words, number])})
                        for number in numbers
                    ]
                    search = await timed(client, searches)
                    ui = await ui_open(client, str(inbox.url), admin.email, big)
            finally:
                inbox.stop()
                store.stop()
                await nc.close()
    return {
        "tickets": TICKETS,
        "messages": MESSAGES,
        "fill_s": round(filled_s, 1) or "reused an earlier fill",
        "sqlite_mb": round(size_mb),
        "open_ticket": summary(open_ticket, 99),
        "queue_page": summary(queue_page, 99),
        "search": summary(search, 95),
        **ui,
        "targets": {
            "open_ticket_p99_ms": 30,
            "queue_page_p99_ms": 50,
            "search_p95_ms": 200,
            "ui_open_ticket_p95_ms": 100,
        },
    }


def run() -> dict[str, Any]:
    return asyncio.run(main())
