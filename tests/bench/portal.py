"""Portal read benchmark: 100,000 customers in the embedded store, and customers with 100
tickets each (half by mail, half web chat visitors who gave their address), read through the
real portal (HTTP -> NATS -> store -> back) and painted in headless Chromium.

Measured: the ticket list API, one ticket's conversation, and the page from navigation to
the list of 100 painted (with the notice choices beside it). The store is filled in-process
through its own writer, as the inbox benchmark does, and the fill is cached.
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
from playwright.async_api import async_playwright

from contracts.messages import InboundMessage, Sender
from services.portal import links
from services.portal.context import COOKIE
from services.runtime.nats_server import NatsServer
from services.store.settings import StoreSettings
from services.store.sqlite import SqliteRepository
from services.store.sqlite.schema import SCHEMA
from services.store.writer import Writer
from tests.bench.router import percentile
from tests.e2e.conftest import ARGS, CHROMIUM
from tests.integration.processes import ServiceProcess

CUSTOMERS = 100_000  # each with one ticket, besides the measured ones
MEASURED = 50  # customers with PER_CUSTOMER tickets each
PER_CUSTOMER = 100
SAMPLES = 200
UI_SAMPLES = 40
SECRET = "bench-portal-secret-" + "x" * 24
CACHE = Path(__file__).parent / ".cache"  # git-ignored
SUBJECTS = ["Счёт за март", "Where is my parcel", "การชำระเงินล้มเหลว", "भुगतान विफल", "📦 возврат"]


def address(customer: int) -> str:
    return f"клиент{customer}@example.ru" if customer % 2 else f"customer{customer}@example.com"


def mail(customer: int, n: int) -> InboundMessage:
    return InboundMessage(
        channel="email", account="support", thread_key=f"<{customer}-{n}@mail>",
        external_id=f"<{customer}-{n}@mail>", subject=f"{SUBJECTS[n % len(SUBJECTS)]} {n}",
        sender=Sender(channel_user_id=address(customer), display_name=f"Клиент {customer}"),
        text=f"{SUBJECTS[n % len(SUBJECTS)]}: вопрос номер {n}",
    )  # fmt: skip


def chat(customer: int, n: int) -> InboundMessage:
    visitor = f"visitor-{customer}-{n}"
    return InboundMessage(
        channel="webchat", account="shop", thread_key=visitor, external_id=f"w-{customer}-{n}",
        sender=Sender(channel_user_id=visitor, email=address(customer)),
        text=f"{SUBJECTS[n % len(SUBJECTS)]}: вопрос из чата {n}",
    )  # fmt: skip


async def fill(data_dir: Path) -> None:
    async def nowhere(entries: Any) -> None:  # events are not published while filling
        return None

    repo = SqliteRepository(StoreSettings(data_dir=data_dir).sqlite_path)
    await repo.setup()
    writer = Writer(repo, nowhere)
    batch: list[InboundMessage] = []
    for customer in range(MEASURED):
        batch += [(mail if n % 2 else chat)(customer, n) for n in range(PER_CUSTOMER)]
    for customer in range(MEASURED, MEASURED + CUSTOMERS):
        batch.append(mail(customer, 0))
        if len(batch) >= 5_000:
            await writer.ingest(batch)
            batch = []
    await writer.ingest(batch)
    await repo.close()
    # As if published long ago: the store would otherwise send 105,000 ticket.created events
    # to NATS at start, during the measurement.
    with sqlite3.connect(StoreSettings(data_dir=data_dir).sqlite_path) as db:
        db.execute("UPDATE outbox SET published_ts = 0 WHERE published_ts IS NULL")


def _cached() -> Path:
    key = f"{SCHEMA}{CUSTOMERS}{MEASURED}{PER_CUSTOMER}"
    return CACHE / f"portal-{hashlib.sha256(key.encode()).hexdigest()[:12]}.sqlite3"


def _copy(source: Path, target: Path) -> bool:
    if not source.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return True


async def filled(data_dir: Path) -> float:
    """Seconds the fill took, or 0 when an earlier fill of the same schema was copied."""
    target = StoreSettings(data_dir=data_dir).sqlite_path
    if _copy(_cached(), target):
        return 0.0
    started = time.perf_counter()
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    await fill(data_dir)
    _copy(target, _cached())
    return time.perf_counter() - started


def session(customer: int) -> str:
    return links.issue(SECRET.encode(), "session", address(customer), time.time(), 3600)


async def timed(client: httpx.AsyncClient, calls: list[tuple[int, str]]) -> list[float]:
    took = []
    for customer, path in calls:
        started = time.perf_counter()
        reply = await client.get(path, cookies={COOKIE: session(customer)})
        took.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, reply.text
    return took


# From the navigation's start (the page's time origin) to the frame that shows the 100th
# ticket and the notice choices: a requestAnimationFrame, then a task, as tests/e2e/paint.py.
PAINTED = f"""
new MutationObserver((_, watch) => {{
  if (document.querySelector("ul.tickets li:nth-child({PER_CUSTOMER})") &&
      document.querySelector("form.notices")) {{
    watch.disconnect();
    requestAnimationFrame(() => setTimeout(() => {{ window.painted = performance.now(); }}, 0));
  }}
}}).observe(document, {{ childList: true, subtree: true }});
"""


async def page_times(url: str, customers: list[int]) -> list[float]:
    """Navigation to the list of 100 painted, each time a new page of a signed-in customer,
    read in the page with the Performance API."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 390, "height": 844})
            took = []
            for customer in customers:
                await context.clear_cookies()
                cookie = {"name": COOKIE, "value": session(customer), "url": f"{url}/portal/"}
                await context.add_cookies([cookie])  # type: ignore[list-item]
                page = await context.new_page()
                await page.add_init_script(PAINTED)
                await page.goto(f"{url}/portal/")
                await page.wait_for_function("() => window.painted !== undefined")
                took.append(float(await page.evaluate("() => window.painted")))
                await page.close()
            return took[3:]  # the first pages warm the browser's cache of the script
        finally:
            await browser.close()


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 50), 2), "p95_ms": round(percentile(values, 95), 2)}


async def main() -> dict[str, Any]:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        filled_s = await filled(root / "var")
        size_mb = StoreSettings(data_dir=root / "var").sqlite_path.stat().st_size / 1e6
        env = {"RELAYDESK_PORTAL_SECRET": SECRET}
        with NatsServer(root / "nats", port=0) as server:
            store = ServiceProcess("store", server.url, root / "var").start(timeout=120)
            portal = ServiceProcess("portal", server.url, root / "var", **env).start(timeout=60)
            try:
                async with httpx.AsyncClient(base_url=str(portal.url), timeout=30) as client:
                    first = await client.get("/portal/api/tickets", cookies={COOKIE: session(0)})
                    assert len(first.json()["items"]) == PER_CUSTOMER, first.text
                    some = first.json()["items"][0]["id"]
                    await timed(client, [(0, "/portal/api/tickets")] * 5)  # warm caches
                    who = [rng.randrange(MEASURED) for _ in range(SAMPLES)]
                    listing = await timed(client, [(c, "/portal/api/tickets") for c in who])
                    one = await timed(client, [(0, f"/portal/api/tickets/{some}")] * SAMPLES)
                pages = await page_times(
                    str(portal.url), [rng.randrange(MEASURED) for _ in range(UI_SAMPLES + 3)]
                )
            finally:
                portal.stop()
                store.stop()
    return {
        "customers": CUSTOMERS + MEASURED,
        "tickets_per_measured_customer": PER_CUSTOMER,
        "tickets": CUSTOMERS + MEASURED * PER_CUSTOMER,
        "fill_s": round(filled_s, 1) or "reused an earlier fill",
        "sqlite_mb": round(size_mb),
        "list_api": summary(listing),
        "ticket_api": summary(one),
        "page_painted": {**summary(pages), "samples": len(pages)},
        "targets": {"page_painted_p95_ms": 200},
    }


def run() -> dict[str, Any]:
    return asyncio.run(main())
