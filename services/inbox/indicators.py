"""Typing indicators between customers and agents, relayed by each inbox process.

A customer typing arrives from an adapter as a `Typing` on core NATS naming a conversation
(channel, account, thread key); the relay finds that conversation's live ticket (a store query,
then a short cache) and hands a `ticket.typing` frame to each of this process's streams whose
agent may see the ticket's department. An agent typing goes the other way, to the adapter of
the ticket's channel. Nothing is stored: an indicator that is lost costs nothing.
"""

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import queries as q
from contracts import subjects
from contracts.directory import AgentView
from contracts.tickets import TicketView
from contracts.typing import Typing
from services.inbox.directory import DirectoryCache
from services.inbox.permissions import can_see
from services.runtime.store_client import StoreClient, StoreRefused, StoreUnavailable

log = logging.getLogger("relaydesk.inbox")
CACHE_SECONDS = 30.0  # a transfer moves a ticket; a stale answer shows one indicator late
NO_TICKET_SECONDS = 2.0
CACHE_SIZE = 10_000
Listener = Callable[[dict[str, Any]], None]


class TypingRelay:
    def __init__(self, store: StoreClient, directory: DirectoryCache) -> None:
        self.store = store
        self.directory = directory
        self.listeners: dict[Listener, str] = {}  # listener -> agent id
        self._tickets: dict[str, tuple[float, TicketView | None]] = {}
        self._sub: Any = None

    async def follow(self, nc: Client) -> None:
        async def typed(msg: Msg) -> None:
            with contextlib.suppress(ValueError):  # a malformed indicator is just not shown
                await self.customer_typing(Typing.model_validate_json(msg.data))

        self._sub = await nc.subscribe(subjects.TYPING_CUSTOMER, cb=typed)

    async def close(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()

    def listen(self, agent_id: str, listener: Listener) -> Callable[[], None]:
        """Call `listener` with each indicator `agent_id` may see; returns the way to stop."""
        self.listeners[listener] = agent_id

        def stop() -> None:
            self.listeners.pop(listener, None)

        return stop

    async def customer_typing(self, typing: Typing) -> None:
        if not self.listeners:
            return
        thread = f"{typing.channel}:{typing.account}:{typing.thread_key}"
        ticket = await self._ticket_of(thread)
        if ticket is None:
            return
        frame = {"type": "ticket.typing", "data": {"ticket_id": ticket.id, "who": "customer"}}
        for listener, agent_id in list(self.listeners.items()):
            agent = self.directory.agent(agent_id)
            if agent is not None and can_see(agent, ticket.department):
                listener(frame)

    async def agent_typing(self, nc: Client, agent: AgentView, ticket: TicketView) -> None:
        typing = Typing(
            channel=ticket.channel,
            account=ticket.account,
            thread_key=ticket.thread_key,
            who="agent",
            ticket_id=ticket.id,
            agent_name=agent.name,
        )
        await nc.publish(subjects.typing_agent(ticket.channel), typing.to_bytes())

    async def _ticket_of(self, thread: str) -> TicketView | None:
        now = time.monotonic()
        cached = self._tickets.get(thread)
        if cached is not None and cached[0] > now:
            return cached[1]
        live: list[Any] = ["open", "pending", "resolved"]
        try:
            page = await self.store.page(q.ListTickets(thread=thread, status=live, limit=1))
        except (StoreUnavailable, StoreRefused) as error:
            log.debug("typing indicator dropped: %s", error)
            return None
        ticket = page.items[0] if page.items else None
        if len(self._tickets) >= CACHE_SIZE:
            self._tickets.clear()  # cheap and rare; the next lookups refill it
        # "No ticket yet" is kept briefly: the customer's first message is about to make one.
        self._tickets[thread] = (now + (CACHE_SECONDS if ticket else NO_TICKET_SECONDS), ticket)
        return ticket
