"""The transactional outbox relay: publish what a commit staged, mark it, and after a crash
publish again whatever was left. Nats-Msg-Id = the entry's msg_id, so a second publish of
the same entry is dropped by JetStream instead of reaching consumers twice."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from contracts import events as ev
from contracts import subjects
from services.store.records import OutboxBatch, OutboxEntry
from services.store.repository import Repository

Publish = Callable[[Sequence[OutboxEntry]], Awaitable[None]]
"""Publishes entries in order, each with Nats-Msg-Id = its msg_id; raises if any failed."""
log = logging.getLogger("relaydesk.store.outbox")
IN_FLIGHT = 500


def event_entry(event: ev.Event) -> OutboxEntry:
    return OutboxEntry(subjects.event(event.type), event.to_bytes(), event.id, kind="event")


async def publish_entries(publish: Publish, entries: Sequence[OutboxEntry]) -> None:
    """Publish in order, a bounded number in flight at a time."""
    for start in range(0, len(entries), IN_FLIGHT):
        await publish(entries[start : start + IN_FLIGHT])


async def publish_batches(
    repo: Repository, publish: Publish, batches: Sequence[OutboxBatch]
) -> None:
    """Publish every entry in order, then mark the batches; a failure leaves them for the sweep."""
    await publish_entries(publish, [e for b in batches for e in b.entries])
    await repo.mark_published([b.id for b in batches])


async def sweep(repo: Repository, publish: Publish, grace: float = 2.0, limit: int = 20) -> int:
    """Publish batches older than `grace` seconds still unpublished (their writer crashed)."""
    pending = await repo.pending_outbox(limit, older_than=time.time() - grace)
    if pending:
        log.info("relaying %d unpublished outbox batches", len(pending))
        await publish_batches(repo, publish, pending)
    return len(pending)


async def run_relay(
    repo: Repository, publish: Publish, interval: float, settle: Callable[[], Awaitable[None]]
) -> None:
    """Every `interval`: `settle` (the writer marks what it published), then sweep."""
    while True:
        try:
            await settle()
            await sweep(repo, publish)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox sweep failed; retrying")
        await asyncio.sleep(interval)
