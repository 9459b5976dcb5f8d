"""Agent presence as the inbox writes it to the shared `presence` KV bucket (the router reads).

An agent is online while at least one of their streams is open (several tabs count once),
heartbeated every third of the bucket's TTL; when the last stream closes they go offline after
a grace period, so a page reload does not hand their tickets back to the queue. An explicit
choice (`PUT /api/v1/me/presence`, e.g. away) is kept and heartbeated instead of `online`.
"""

import asyncio
import contextlib
import time
from collections import Counter

from nats.js.kv import KeyValue

from contracts.presence import AgentPresence, PresenceStatus


class PresenceKeeper:
    def __init__(self, kv: KeyValue, ttl: float, grace: float) -> None:
        self.kv = kv
        self.ttl = ttl
        self.grace = grace
        self.streams: Counter[str] = Counter()
        self.chosen: dict[str, PresenceStatus] = {}
        self._leaving: dict[str, asyncio.Task[None]] = {}
        self._beat: asyncio.Task[None] | None = None

    def status(self, agent_id: str) -> PresenceStatus:
        if agent_id in self.chosen:
            return self.chosen[agent_id]
        return "online" if self.streams[agent_id] else "offline"

    async def write(self, agent_id: str, status: PresenceStatus) -> None:
        await self.kv.put(agent_id, AgentPresence(status=status, at=time.time()).to_bytes())

    async def choose(self, agent_id: str, status: PresenceStatus) -> None:
        self.chosen[agent_id] = status
        await self.write(agent_id, status)

    async def opened(self, agent_id: str) -> None:
        leaving = self._leaving.pop(agent_id, None)
        if leaving:
            leaving.cancel()
        self.streams[agent_id] += 1
        if self.streams[agent_id] == 1:
            self.chosen.setdefault(agent_id, "online")
            if self.chosen[agent_id] == "offline":  # connecting again means working again
                self.chosen[agent_id] = "online"
            await self.write(agent_id, self.chosen[agent_id])

    def closed(self, agent_id: str) -> None:
        self.streams[agent_id] -= 1
        if self.streams[agent_id] <= 0:
            del self.streams[agent_id]
            self._leaving[agent_id] = asyncio.create_task(self._leave(agent_id))

    async def _leave(self, agent_id: str) -> None:
        await asyncio.sleep(self.grace)
        self._leaving.pop(agent_id, None)
        if not self.streams[agent_id]:
            self.chosen.pop(agent_id, None)
            await self.write(agent_id, "offline")

    def start(self) -> None:
        self._beat = asyncio.create_task(self._heartbeat())

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            for agent_id in list(self.streams):
                with contextlib.suppress(Exception):  # NATS reconnecting: next beat
                    await self.write(agent_id, self.status(agent_id))

    async def close(self) -> None:
        """On shutdown, agents connected here go offline now rather than after the TTL."""
        tasks = [t for t in (self._beat, *self._leaving.values()) if t]
        for task in tasks:
            task.cancel()
        for agent_id in list(self.streams) + list(self._leaving):
            with contextlib.suppress(Exception):
                await self.write(agent_id, "offline")
