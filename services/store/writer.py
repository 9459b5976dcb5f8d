"""The single writer: runs domain flows in transactions, retries lost races, stages events.

A race (two replicas creating the same thread's ticket, a stale version) aborts the whole
transaction; re-running it sees the winner's rows, so the dedupe key and the live-thread
index turn the loser into a no-op or an append. Nothing is published before commit.

After a batch is published, marking it so costs a commit of its own; instead the mark rides
along with the next transaction (or `settle`, run by the relay every second). A crash before
the mark only means the sweep publishes the batch again, and JetStream drops the repeats by
their Nats-Msg-Id.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar, cast

from contracts import commands as c
from contracts.directory import DirectoryCommand
from contracts.messages import DeliveryReport, InboundMessage
from services.store.commands import COMMAND_HANDLERS
from services.store.conversation import CONVERSATION_HANDLERS, receive
from services.store.directory import DIRECTORY_HANDLERS
from services.store.errors import Conflict, LostRace, StoreError
from services.store.ingest import record_delivery
from services.store.messages import MESSAGE_HANDLERS
from services.store.outbox import Publish, event_entry, publish_entries
from services.store.records import OutboxBatch, OutboxEntry
from services.store.repository import Repository, TellsChanges, UnitOfWork
from services.store.timers import TIMER_HANDLERS

log = logging.getLogger("relaydesk.store.writer")
T = TypeVar("T")
ATTEMPTS = 5
HANDLERS = {
    **COMMAND_HANDLERS,
    **MESSAGE_HANDLERS,
    **TIMER_HANDLERS,
    **CONVERSATION_HANDLERS,  # after COMMAND_HANDLERS: a resolution may ask for a rating
    **DIRECTORY_HANDLERS,
}


class Writer:
    def __init__(self, repo: Repository, publish: Publish) -> None:
        self.repo = repo
        self.publish = publish
        self.unmarked: list[str] = []

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[UnitOfWork]:
        marks, self.unmarked = self.unmarked, []
        try:
            async with self.repo.transaction() as uow:
                await uow.mark_published(marks)
                yield uow
        except BaseException:
            self.unmarked += marks
            raise

    async def settle(self) -> None:
        """Mark what was published since the last transaction."""
        marks, self.unmarked = self.unmarked, []
        try:
            await self.repo.mark_published(marks)
        except BaseException:
            self.unmarked += marks
            raise

    async def ingest(self, messages: Sequence[InboundMessage]) -> int:
        """Store a batch in one transaction; returns how many events it produced."""
        staged = await self._retry(lambda: self._ingest_once(messages))
        await self._flush(staged)
        return len(staged.entries)

    async def _ingest_once(self, messages: Sequence[InboundMessage]) -> OutboxBatch:
        async with self._transaction() as uow:
            await uow.prefetch(messages)
            staged = OutboxBatch([e for m in messages for e in await receive(uow, m)])
            await uow.add_outbox(staged)
        return staged

    async def deliveries(self, reports: Sequence[DeliveryReport]) -> None:
        async def once() -> OutboxBatch:
            async with self._transaction() as uow:
                events = [e for r in reports for e in await record_delivery(uow, r)]
                staged = OutboxBatch([event_entry(e) for e in events])
                await uow.add_outbox(staged)
            return staged

        await self._flush(await self._retry(once))

    async def execute_many(
        self, commands: Sequence[c.Command]
    ) -> list[c.CommandOk | c.CommandError]:
        """Run commands in order in one transaction, so the batch pays for a single commit.

        The usual refusal (a stale version, an unknown ticket, an invalid value) comes before
        a command writes anything, so it is answered and the batch goes on. A command refused
        after it wrote, or a batch that loses a race at commit, is rolled back whole and run
        again one command per transaction. A backend that cannot count writes (MongoDB) always
        runs them one transaction each."""
        if self.repo.batches_commands:
            try:
                replies, batch = await self._execute_together(commands)
            except (_WroteThenRefused, LostRace, Conflict) as error:
                log.info("command batch runs one by one: %s", error)
            else:
                await self._flush(batch)
                return replies
        return [await self.execute(command) for command in commands]

    async def _execute_together(
        self, commands: Sequence[c.Command]
    ) -> tuple[list[c.CommandOk | c.CommandError], OutboxBatch]:
        replies: list[c.CommandOk | c.CommandError] = []
        staged: list[OutboxEntry] = []
        async with self._transaction() as uow:
            counted = cast(TellsChanges, uow)
            before = counted.changes()
            for command in commands:
                try:
                    outcome = await HANDLERS[type(command)](uow, command)
                except StoreError as error:
                    if counted.changes() != before:
                        raise _WroteThenRefused(command.command) from error
                    replies.append(_refused(error))
                    continue
                staged += [*outcome.outbound, *map(event_entry, outcome.events)]
                replies.append(outcome.reply)
                before = counted.changes()
            batch = OutboxBatch(staged)
            await uow.add_outbox(batch)
        return replies, batch

    async def execute(self, command: c.Command | DirectoryCommand) -> c.CommandOk | c.CommandError:
        """Run one command; every failure becomes a typed error reply, never a timeout."""
        handler = HANDLERS[type(command)]

        async def once() -> tuple[c.CommandOk, OutboxBatch]:
            async with self._transaction() as uow:
                outcome = await handler(uow, command)
                staged = OutboxBatch([*outcome.outbound, *map(event_entry, outcome.events)])
                await uow.add_outbox(staged)
            return outcome.reply, staged

        try:
            # Only a race the caller did not cause is retried; a stale version is theirs.
            reply, staged = await self._retry(once, retry_conflicts=False)
        except StoreError as error:
            return _refused(error)
        await self._flush(staged)
        return reply

    async def _retry(self, once: Callable[[], Awaitable[T]], retry_conflicts: bool = True) -> T:
        retryable: tuple[type[Exception], ...] = (
            (LostRace, Conflict) if retry_conflicts else (LostRace,)
        )
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await once()
            except retryable as error:
                if attempt == ATTEMPTS:
                    raise
                log.info("write raced another writer (%s); retrying", error)
                await asyncio.sleep(0.005 * attempt)
        raise RuntimeError("unreachable: the last attempt returns or raises")

    async def _flush(self, staged: OutboxBatch) -> None:
        if not staged.entries:
            return
        try:
            await publish_entries(self.publish, staged.entries)
            self.unmarked.append(staged.id)
        except Exception:
            # Committed and safe in the outbox: the relay's sweep publishes it shortly.
            log.warning("publish after commit failed; the outbox sweep will retry", exc_info=True)


class _WroteThenRefused(Exception):
    """A command in a batch was refused after it had written: the batch cannot keep it."""


def _refused(error: StoreError) -> c.CommandError:
    return c.CommandError(code=error.code, message=str(error), field=error.field)
