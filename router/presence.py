"""Presence and load in NATS KV: who is online, and which tickets each agent owns.

Every load change is a compare-and-set on the entry's revision, retried on a lost race, so
replicas agree without a lock; load is a set of ticket ids, so a repeated event is a no-op.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable

from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from contracts.presence import (
    LOAD_BUCKET,
    PRESENCE_BUCKET,
    AgentLoadEntry,
    AgentPresence,
    PresenceStatus,
)
from services.runtime.kv import bucket_ttl, lost_race, open_bucket

ATTEMPTS = 20


class Presence:
    def __init__(self, presence: KeyValue, load: KeyValue, ttl: float) -> None:
        self.presence = presence
        self.load = load
        self.ttl = ttl
        # With `watch()`, local copies kept current by KV watchers answer every read.
        self.watching = False
        self.seen: dict[str, AgentPresence] = {}
        self.owned: dict[str, tuple[AgentLoadEntry, int]] = {}
        self.watchers: list[KeyValue.KeyWatcher] = []
        self.tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def open(cls, js: JetStreamContext, ttl: float) -> "Presence":
        """Open (or create with `ttl`) both buckets. An existing presence bucket keeps the
        TTL it was created with, and that TTL is the one that counts."""
        presence = await open_bucket(js, PRESENCE_BUCKET, ttl)
        actual = await bucket_ttl(js, PRESENCE_BUCKET) or ttl
        return cls(presence, await open_bucket(js, LOAD_BUCKET), actual)

    async def watch(self, timeout: float = 10.0) -> None:
        """Follow both buckets; returns once the current state has been read."""

        def on_presence(key: str, value: bytes | None, revision: int) -> None:
            if value:
                self.seen[key] = AgentPresence.model_validate_json(value)
            else:
                self.seen.pop(key, None)

        def on_load(key: str, value: bytes | None, revision: int) -> None:
            if value:
                entry = AgentLoadEntry.model_validate_json(value)
                current = self.owned.get(key)
                if current is None or current[1] < revision:
                    self.owned[key] = (entry, revision)
            else:
                self.owned.pop(key, None)

        loaded = [asyncio.Event(), asyncio.Event()]
        for kv, apply, ready in (
            (self.presence, on_presence, loaded[0]),
            (self.load, on_load, loaded[1]),
        ):
            watcher = await kv.watchall()
            self.watchers.append(watcher)
            self.tasks.append(asyncio.create_task(_follow(watcher, apply, ready)))
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in loaded)), timeout)
        self.watching = True

    async def close(self) -> None:
        for watcher in self.watchers:
            with contextlib.suppress(Exception):
                await watcher.stop()  # type: ignore[no-untyped-call]
        for task in self.tasks:
            task.cancel()

    async def statuses(self) -> dict[str, PresenceStatus]:
        """Agents with a live entry; anyone missing (expired, never seen) is offline."""
        if self.watching:
            # Expiry by the bucket's TTL sends no delete to watchers: check the age here.
            fresh = time.time() - self.ttl
            return {k: p.status for k, p in self.seen.items() if p.at >= fresh}
        found: dict[str, PresenceStatus] = {}
        try:
            keys = await self.presence.keys()
        except Exception:  # nats-py raises NoKeysError on an empty bucket
            return found
        for key in keys:
            try:
                entry = await self.presence.get(key)
            except KeyNotFoundError:
                continue
            if entry.value:
                found[key] = AgentPresence.model_validate_json(entry.value).status
        return found

    async def loads(self) -> dict[str, AgentLoadEntry]:
        if self.watching:
            return {k: entry for k, (entry, _) in self.owned.items()}
        found: dict[str, AgentLoadEntry] = {}
        try:
            keys = await self.load.keys()
        except Exception:
            return found
        for key in keys:
            entry, _ = await self._read(key)
            found[key] = entry
        return found

    async def _read(self, agent_id: str, fresh: bool = False) -> tuple[AgentLoadEntry, int | None]:
        if self.watching and not fresh:
            if agent_id in self.owned:
                return self.owned[agent_id]
            return AgentLoadEntry(), None
        try:
            entry = await self.load.get(agent_id)
        except KeyNotFoundError:
            return AgentLoadEntry(), None
        value = AgentLoadEntry.model_validate_json(entry.value) if entry.value else AgentLoadEntry()
        return value, entry.revision

    async def _change(
        self, agent_id: str, change: Callable[[AgentLoadEntry], AgentLoadEntry | None]
    ) -> bool:
        """Apply `change` with compare-and-set; `change` returns None to decline."""
        fresh = False
        for _ in range(ATTEMPTS):
            current, revision = await self._read(agent_id, fresh)
            new = change(current)
            if new is None:
                return False
            try:
                if revision is None:
                    written = await self.load.create(agent_id, new.to_bytes())
                else:
                    written = await self.load.update(agent_id, new.to_bytes(), last=revision)
            except Exception as error:
                if not lost_race(error):
                    raise
                fresh = True  # the local copy is behind: read the bucket itself
                continue
            if self.watching:
                self.owned[agent_id] = (new, written)
            return True
        return False

    async def reserve(self, agent_id: str, ticket_id: str, capacity: int | None) -> bool:
        """Add `ticket_id` to the agent's load if it fits. With a `capacity` this is a claim:
        False when the ticket is already there (another decision holds it). `capacity=None`
        records an assignment that happened (a person's, or a repeated event): always True."""

        def add(entry: AgentLoadEntry) -> AgentLoadEntry | None:
            if ticket_id in entry.tickets:
                return None  # already theirs: nothing to write (and a claim is refused)
            if capacity is not None and len(entry.tickets) >= capacity:
                return None
            return entry.model_copy(
                update={"tickets": [*entry.tickets, ticket_id], "last_assigned": time.time()}
            )

        return await self._change(agent_id, add)

    async def reserve_many(
        self, agent_id: str, ticket_ids: list[str], capacity: int
    ) -> tuple[list[str], list[str]]:
        """Claim for the agent as many of `ticket_ids` as fit, in order, with one
        compare-and-set: a burst of 500 tickets is a handful of writes, not 500 rewrites of
        a growing load list. Returns the ids newly claimed, and those the agent's load held
        already (another replica's claim in flight, or a slot a killed router left: the
        dispatcher tells them apart by how long they stay)."""
        taken: list[str] = []
        held: list[str] = []

        def add(entry: AgentLoadEntry) -> AgentLoadEntry | None:
            load = set(entry.tickets)
            room = max(capacity - len(entry.tickets), 0)
            held[:] = [t for t in ticket_ids if t in load]
            taken[:] = [t for t in ticket_ids if t not in load][:room]
            if not taken:
                return None
            tickets = [*entry.tickets, *taken]
            return entry.model_copy(update={"tickets": tickets, "last_assigned": time.time()})

        if not await self._change(agent_id, add):
            taken.clear()
        return list(taken), list(held)

    async def release(self, agent_id: str, ticket_id: str) -> None:
        def remove(entry: AgentLoadEntry) -> AgentLoadEntry | None:
            if ticket_id not in entry.tickets:
                return None
            return entry.model_copy(
                update={"tickets": [t for t in entry.tickets if t != ticket_id]}
            )

        await self._change(agent_id, remove)

    async def mark_offline(self, agent_id: str, since: float | None) -> None:
        def mark(entry: AgentLoadEntry) -> AgentLoadEntry | None:
            if entry.offline_since == since or (since and entry.offline_since):
                return None
            return entry.model_copy(update={"offline_since": since})

        await self._change(agent_id, mark)


async def _follow(
    watcher: KeyValue.KeyWatcher,
    apply: Callable[[str, bytes | None, int], None],
    loaded: asyncio.Event,
) -> None:
    async for entry in watcher:
        if entry is None:  # the marker after the current values: caught up
            loaded.set()
            continue
        deleted = entry.operation in ("DEL", "PURGE")
        apply(entry.key, None if deleted else entry.value, entry.revision or 0)
