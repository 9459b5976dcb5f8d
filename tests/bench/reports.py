"""Reports benchmark: a month of history, 1,000,000 messages (100,000 tickets of ten messages
over five channels, five departments and twenty agents), folded into the report tables as the
service does (parse, fold, write in batches of 2,000): events materialized per second; then
every report table of that month, twenty times: p95 per table and for the whole page."""

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from contracts import events as ev
from contracts.reports import TABLES, ReportQuery
from contracts.service_levels import BusinessCalendar
from contracts.tickets import MessageView, Rating, SlaClock, SlaState, TicketView
from services.reports import figures, materialize
from services.reports.fold import read
from services.reports.tables import Tables
from services.sla.business_hours import ALWAYS

TICKETS = 100_000
MESSAGES_PER_TICKET = 10
BATCH = 2000
RUNS = 20
START = datetime(2026, 11, 1, tzinfo=UTC)
CHANNELS = ("telegram", "email", "webchat", "vk", "viber")
DEPARTMENTS = ("billing", "tech", "sales", "support", "returns")
AGENTS = tuple(f"agent{n}" for n in range(20))
OFFICE = BusinessCalendar(timezone="Europe/Moscow")


def calendars(department: str | None) -> BusinessCalendar:
    return OFFICE if department in ("billing", "sales") else ALWAYS


def ticket_events(n: int, rng: random.Random) -> list[bytes]:
    """One ticket's life as the store publishes it, serialized."""
    created = START + timedelta(seconds=rng.uniform(0, 30 * 86400))
    department, agent = rng.choice(DEPARTMENTS), rng.choice(AGENTS)
    t = TicketView(
        id=f"{n:032x}", number=n + 1, channel=rng.choice(CHANNELS), account="a",
        thread_key=str(n), contact_id=f"c{n}", created_at=created, updated_at=created, version=1,
    )  # fmt: skip
    out: list[ev.Event] = [ev.TicketCreated(ticket=t, at=created)]
    at = created
    for m in range(MESSAGES_PER_TICKET):
        inbound = m % 2 == 0
        at += timedelta(minutes=rng.uniform(1, 180))
        if m == 1:
            clock = SlaClock(target="first_response", minutes=120, breached=rng.random() < 0.1)
            sla = SlaState(policy_id="p", policy_name="p", clocks=[clock])
            t = t.model_copy(update={"department": department, "assignee": agent, "sla": sla})
            out.append(ev.TicketTransferred(ticket=t, at=at))
        message = MessageView(
            id=f"{n:024x}{m:08x}", ticket_id=t.id, direction="inbound" if inbound else "outbound",
            author=f"c{n}" if inbound else agent, created_at=at,
        )  # fmt: skip
        out.append(ev.MessageCreated(ticket=t, message=message, at=at))
    at += timedelta(minutes=30)
    t = t.model_copy(update={"status": "resolved", "rating": Rating(asked_at=at)})
    out.append(ev.TicketChanged(ticket=t, fields=["status"], at=at))
    if rng.random() < 0.4:
        out.append(ev.TicketRated(ticket=t, score=rng.randint(1, 5), at=at + timedelta(minutes=5)))
    return [e.to_bytes() for e in out]


def run() -> dict[str, Any]:
    rng = random.Random(21)
    with tempfile.TemporaryDirectory() as tmp:
        tables = Tables(Path(tmp) / "reports.sqlite3")
        started = time.perf_counter()
        raw = [e for n in range(TICKETS) for e in ticket_events(n, rng)]
        raw.sort(key=lambda b: b[b.find(b'"at":"') :])  # roughly in time order, as published
        generated = time.perf_counter() - started
        materialize.tune_gc()  # as the service does once started
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for start in range(0, len(raw), BATCH):
            chunk = raw[start : start + BATCH]
            items = [(start + i + 1, read(b)) for i, b in enumerate(chunk)]
            materialize.apply(tables, items, calendars)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        timings: dict[str, list[float]] = {t: [] for t in TABLES}
        pages = []
        for _ in range(RUNS):
            page = 0.0
            for table in TABLES:
                query = ReportQuery(
                    table=table, since=START, until=START + timedelta(days=30),
                    timezone="Europe/Moscow", departments=list(DEPARTMENTS[:3]),
                )  # fmt: skip
                t0 = time.perf_counter()
                figures.FIGURES[table](tables, query)
                took = (time.perf_counter() - t0) * 1000
                timings[table].append(took)
                page += took
            pages.append(page)
        tables.close()
    return {
        "tickets": TICKETS,
        "messages": TICKETS * MESSAGES_PER_TICKET,
        "events": len(raw),
        "events_materialized_per_s": round(len(raw) / wall),
        "cpu_us_per_event": round(cpu / len(raw) * 1e6, 1),
        "generate_s": round(generated, 1),
        "p95_ms_per_table": {t: round(p95(v), 1) for t, v in timings.items()},
        "p95_ms_page": round(p95(pages), 1),
        "median_ms_page": round(statistics.median(pages), 1),
        "targets": {"events_materialized_per_s": 20_000, "p95_ms_page": 100},
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
