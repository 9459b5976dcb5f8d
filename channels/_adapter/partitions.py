"""Which outbound partitions this replica of a channel adapter delivers: leases in the
`partitions-<channel>` KV bucket, so that one replica at a time holds a partition and replies
to one chat (always in the same partition) are sent in the order they were written.

Each replica writes `replica.<id>` every beat (the bucket's TTL drops the dead), renews its
leases `p.<n>` by revision, and moves towards an even share of the partitions among the live
replicas: it claims free ones while it holds fewer, and hands one back per beat while it holds
more: it stops taking that partition's replies, keeps renewing the lease while the ones in
hand finish, then frees it, so the next holder never overlaps with it. A crashed replica's leases
expire after the TTL and others claim them. A replica that cannot renew a lease for most of
the TTL (NATS away) stops that partition itself, before the lease can expire on the server
and another replica take over: two holders at once would cross replies.

NATS has no lease of its own for this: consumer priority groups pin one client per consumer,
but nats-py does not speak them yet; a KV revision check is the documented way to elect
(https://docs.nats.io/using-nats/developer/develop_jetstream/kv).
"""

import asyncio
import contextlib
import logging
import math
import os
import re
import secrets
import socket
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.errors import (
    KeyDeletedError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoKeysError,
)
from nats.js.kv import KeyValue

from contracts.channels import Channel
from services.runtime.kv import open_bucket

log = logging.getLogger("relaydesk.adapter.partitions")
TTL = 10.0


def share(partitions: int, replicas: int) -> int:
    """How many partitions each of `replicas` live replicas should hold."""
    return math.ceil(partitions / max(1, replicas))


def replica_name(channel: Channel) -> str:
    """This replica's name in the leases: its host and HTTP port, which no other live replica
    shares (two cannot listen there), so a restarted process takes its own leases back at
    once. With port 0 (any free port, in tests) a name of its own instead."""
    host = re.sub(r"[^-\w.]", "_", socket.gethostname())  # a KV key: no ':' and the like
    port = os.environ.get(f"RELAYDESK_{channel.upper()}_PORT", "default")
    if port != "0":
        return f"{host}-port-{port}"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


def preference(me: str, partitions: int) -> list[int]:
    """The order this replica tries partitions in: different for each replica, so two that
    start together do not race for the same ones."""
    first = zlib.crc32(me.encode()) % partitions
    return [(first + n) % partitions for n in range(partitions)]


@dataclass
class Lease:
    revision: int
    renewed: float
    leaving: bool = False  # handed back: no new replies taken, freed once the last is done


@dataclass
class Holder:
    """What the claims drive: `start(n)` begins taking partition n's replies, `stop(n)` stops
    taking them (what is in hand goes on), `busy(n)`: replies of n still in hand."""

    start: Callable[[int], Awaitable[None]]
    stop: Callable[[int], Awaitable[None]]
    busy: Callable[[int], bool]


class Claims:
    def __init__(
        self,
        js: JetStreamContext,
        channel: Channel,
        me: str,
        partitions: int,
        holder: Holder,
        ttl: float = TTL,
    ) -> None:
        self.js = js
        self.channel = channel
        self.me = me
        self.partitions = partitions
        self.holder = holder
        self.ttl = ttl
        self.held: dict[int, Lease] = {}
        self.kv: KeyValue | None = None
        self.closing = asyncio.Event()

    async def run(self) -> None:
        """Beat until `close()`, then let go of everything. Ended by `close`, not by
        cancelling: nats-py turns a cancellation inside a request into a timeout."""
        self.kv = await open_bucket(self.js, f"partitions-{self.channel}", self.ttl)
        while not self.closing.is_set():
            try:
                await self.beat(self.kv)
            except Exception as error:  # NATS away: leases age until fenced below
                log.warning("%s partitions: beat failed: %s", self.channel, error)
            await self._fence()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), self.ttl / 5)
        await self.release_all()

    def close(self) -> None:
        self.closing.set()

    async def beat(self, kv: KeyValue) -> None:
        await kv.put(f"replica.{self.me}", b"")
        for partition, lease in list(self.held.items()):
            try:
                lease.revision = await kv.update(
                    f"p.{partition}", self.me.encode(), last=lease.revision
                )
            except KeyWrongLastSequenceError:  # expired and taken: not ours any more
                log.warning("%s partition %d lost", self.channel, partition)
                await self._drop(partition)
                continue
            lease.renewed = time.monotonic()
            if lease.leaving and not self.holder.busy(partition):
                del self.held[partition]
                await kv.delete(f"p.{partition}")
                log.info("%s partition %d handed back", self.channel, partition)
        taking = sorted(p for p, lease in self.held.items() if not lease.leaving)
        wanted = share(self.partitions, await self._live(kv))
        if len(taking) > wanted:
            self.held[taking[-1]].leaving = True
            await self.holder.stop(taking[-1])
            return
        for partition in preference(self.me, self.partitions):
            if len(taking) >= wanted:
                return
            if partition in self.held:
                continue
            revision = await self._claim(kv, partition)
            if revision is None:
                continue  # another replica holds it
            self.held[partition] = Lease(revision, time.monotonic())
            try:
                await self.holder.start(partition)
            except Exception:  # could not subscribe: let the lease go for another try
                del self.held[partition]
                with contextlib.suppress(Exception):
                    await kv.delete(f"p.{partition}")
                raise
            taking.append(partition)
            log.info("%s partition %d claimed", self.channel, partition)

    async def _claim(self, kv: KeyValue, partition: int) -> int | None:
        """The lease's revision if this replica now holds the partition. A lease under this
        replica's own name is taken over at once: it was left by this replica's previous
        process (a restart), which is gone, so nothing waits out the TTL."""
        key = f"p.{partition}"
        try:
            return await kv.create(key, self.me.encode())
        except KeyWrongLastSequenceError:
            pass
        try:
            entry = await kv.get(key)
        except (KeyNotFoundError, KeyDeletedError):
            return None
        if entry.value != self.me.encode() or entry.revision is None:
            return None
        try:
            return await kv.update(key, self.me.encode(), last=entry.revision)
        except KeyWrongLastSequenceError:
            return None

    async def _live(self, kv: KeyValue) -> int:
        try:
            keys = await kv.keys()
        except NoKeysError:
            return 1
        return max(1, sum(1 for key in keys if key.startswith("replica.")))

    async def _fence(self) -> None:
        """Stop what could not be renewed for 3/4 of the TTL: the server may drop it soon."""
        limit = time.monotonic() - self.ttl * 0.75
        for partition, lease in list(self.held.items()):
            if lease.renewed < limit:
                log.warning("%s partition %d not renewed: stopped", self.channel, partition)
                await self._drop(partition)

    async def _drop(self, partition: int) -> None:
        lease = self.held.pop(partition, None)
        if lease is not None and not lease.leaving:
            await self.holder.stop(partition)

    async def release_all(self) -> None:
        """On shutdown: stop taking replies and free at once every lease with nothing in
        hand; a lease with replies in hand expires after the TTL instead, so no other replica
        starts on that partition while they might still be going out."""
        for partition in list(self.held):
            await self._drop(partition)
            if self.kv is not None and not self.holder.busy(partition):
                with contextlib.suppress(Exception):
                    await self.kv.delete(f"p.{partition}")
        if self.kv is not None:
            with contextlib.suppress(Exception):
                await self.kv.delete(f"replica.{self.me}")
