"""The directory (agents, departments, templates), kept in memory and current.

Every request checks the agent's role and departments from here, so a change made by an admin
applies to the very next call. It is refreshed on `events.directory.changed`, and every
`REFRESH` seconds in case an event was missed during a reconnect.
"""

import asyncio
import contextlib
import logging

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from contracts import directory as d
from contracts import subjects
from services.runtime.store_client import StoreClient, StoreUnavailable

log = logging.getLogger("relaydesk.inbox")
REFRESH = 30.0


class DirectoryCache:
    def __init__(self, store: StoreClient) -> None:
        self.store = store
        self.current = d.Directory()
        self.agents: dict[str, d.AgentView] = {}
        self.departments: dict[str, d.DepartmentView] = {}
        self.templates: dict[str, d.ReplyTemplate] = {}
        self._sub: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            current = await self.store.directory()
            self.current = current
            self.agents = {a.id: a for a in current.agents}
            self.departments = {x.id: x for x in current.departments}
            self.templates = {t.id: t for t in current.templates}

    async def follow(self, nc: Client) -> None:
        """Load now, then keep current."""

        async def changed(msg: Msg) -> None:
            try:
                await self.refresh()
            except Exception as error:  # the periodic refresh will catch up
                log.warning("directory refresh failed: %s", error)

        self._sub = await nc.subscribe(subjects.event("directory.changed"), cb=changed)
        while True:  # the store may be starting beside us: wait for it rather than crash
            try:
                await self.refresh()
                break
            except StoreUnavailable:
                log.warning("store not answering yet; retrying")
                await asyncio.sleep(1)
        self._task = asyncio.create_task(self._periodic())

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(REFRESH)
            with contextlib.suppress(Exception):
                await self.refresh()

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
        if self._sub:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()

    def agent(self, agent_id: str) -> d.AgentView | None:
        return self.agents.get(agent_id)
