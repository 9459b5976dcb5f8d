"""The dispatcher: turns ticket events into routing decisions and store commands.

New tickets are routed by the rules, then every department touched by a batch of events is
drained once, against one snapshot of presence and load (a burst is one decision, not N
races). A new ticket's route and its assignment go to the store in one request, so it
reaches its agent one round trip after it was created. Slots are reserved in the load
bucket before the assign command is sent, and given back if the store refuses it, so no
agent is ever above capacity, even for a moment.
"""

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from contracts import commands as c
from contracts import directory as d
from contracts import events as ev
from contracts import queries as q
from contracts.tickets import TicketView
from router import upkeep
from router.assignment import AgentLoad
from router.fresh import Fresh, route_new
from router.presence import Presence
from router.queue import Waiting, drain
from router.settings import ACTOR
from services.runtime.store_client import StoreClient, StoreRefused

log = logging.getLogger("relaydesk.router")
RELEASED = ("resolved", "closed")
# Longer than a claim takes to be decided (the store's answer, 5 s, and its retry).
STALE_SLOT = 15.0


class Dispatcher:
    def __init__(self, store: StoreClient, presence: Presence, default_department: str) -> None:
        self.store = store
        self.presence = presence
        self.default_department = default_department
        self.directory = d.Directory()
        self.locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Drain requests that arrive while a drain runs fold into one more run.
        self.pending: dict[str, tuple[str, ...]] = {}
        self.drainers: dict[str, asyncio.Task[None]] = {}
        self.strays: set[tuple[str, str]] = set()  # (agent, ticket) slots found stray last
        self.strays_at = 0.0
        # Per department, (agent, ticket) slots held for tickets still waiting, since when.
        self.held_since: dict[str, dict[tuple[str, str], float]] = {}

    async def refresh(self) -> None:
        self.directory = await self.store.directory()

    async def seed_rules(self, rules: list[d.RoutingRule]) -> None:
        """Give a fresh desk its first rules; never touches rules someone already set."""
        await self.refresh()
        if self.directory.rules or not rules:
            return
        try:
            await self.store.directory_command(d.SetRoutingRules(actor=ACTOR, rules=rules))
        except StoreRefused as error:
            log.warning("could not seed routing rules: %s", error.message)
        await self.refresh()

    async def seed_menus(self, menus: list[d.Menu]) -> None:
        """Give a desk its first bot menus from the bootstrap file; never replaces any."""
        if self.directory.menus or not menus:
            return
        try:
            await self.store.directory_command(d.SetMenus(actor=ACTOR, menus=menus))
        except StoreRefused as error:
            log.warning("could not seed bot menus: %s", error.message)
        await self.refresh()

    def department(self, name: str) -> d.DepartmentView:
        found = next((x for x in self.directory.departments if x.id == name), None)
        # A department nobody configured yet works with the default settings.
        return found or d.DepartmentView.model_construct(id=name, name=name)

    async def on_events(self, events: Sequence[ev.Event]) -> None:
        if any(isinstance(e, d.DirectoryChanged) for e in events):
            await self.refresh()
        to_drain: dict[str, tuple[str, ...]] = {}
        fresh: defaultdict[str, list[Fresh]] = defaultdict(list)
        for event in events:
            for department, exclude in await self._apply(event, fresh):
                to_drain[department] = to_drain.get(department, ()) + exclude
        # Awaited, not left to a task: if the store does not answer, the events come back
        # and the routes are sent again, so no new conversation stays unrouted.
        for department, new in fresh.items():
            await self.drain(department, to_drain.pop(department, ()), new)
        for department, exclude in to_drain.items():
            self.request_drain(department, exclude)

    def request_drain(self, department: str, exclude: tuple[str, ...] = ()) -> None:
        """Drain soon, once, however many events asked for it meanwhile. If this replica
        dies first, the periodic sweep drains every department anyway."""
        self.pending[department] = self.pending.get(department, ()) + exclude
        task = self.drainers.get(department)
        if task is None or task.done():
            self.drainers[department] = asyncio.create_task(self._drain_pending(department))

    async def _drain_pending(self, department: str) -> None:
        while department in self.pending:
            exclude = self.pending.pop(department)
            try:
                await self.drain(department, exclude)
            except Exception:
                log.exception("draining %s failed; the sweep will retry", department)

    async def idle(self) -> None:
        """Wait for the drains in flight (tests and shutdown)."""
        await asyncio.gather(*self.drainers.values(), return_exceptions=True)

    async def _apply(
        self, e: ev.Event, fresh: defaultdict[str, list[Fresh]]
    ) -> list[tuple[str, tuple[str, ...]]]:
        """Keep load in step with the event; say which departments may now assign. New
        tickets go to `fresh`, by department, to be routed and assigned together."""
        if isinstance(e, d.DirectoryChanged):
            return []
        t = e.ticket
        if isinstance(e, ev.TicketCreated) and t.menu and t.menu.open:
            return []  # the bot menu has it; routed once the customer leaves the menu
        if isinstance(e, ev.TicketCreated | ev.MenuCompleted):
            fresh_ticket = route_new(e, self.directory, self.default_department, ACTOR)
            fresh[fresh_ticket.ticket.department or self.default_department].append(fresh_ticket)
            return []
        if isinstance(e, ev.TicketTransferred):
            if e.previous_assignee:
                await self.presence.release(e.previous_assignee, t.id)
            elif e.actor == ACTOR:
                # The echo of our own route of a new ticket: the queue was drained when the
                # route was sent, so another look would only ask the store again (a third of
                # its ticket-list queries); anything left waits for the sweep.
                return []
            return [(t.department or self.default_department, ())]
        if isinstance(e, ev.TicketAssigned):
            if e.previous_assignee and e.previous_assignee != t.assignee:
                await self.presence.release(e.previous_assignee, t.id)
            if t.assignee:  # assigned by a person: recorded even above capacity
                await self.presence.reserve(t.assignee, t.id, capacity=None)
                return []
            timed_out = (e.previous_assignee,) if e.previous_assignee else ()
            return [(t.department or self.default_department, timed_out)]
        if isinstance(e, ev.TicketReopened):
            return await self._reopened(e)
        if isinstance(e, ev.TicketChanged | ev.TicketMerged) and t.assignee:
            if t.status in RELEASED:
                await self.presence.release(t.assignee, t.id)
                return [(t.department or self.default_department, ())]
            await self.presence.reserve(t.assignee, t.id, capacity=None)
        return []

    async def _reopened(self, e: ev.TicketReopened) -> list[tuple[str, tuple[str, ...]]]:
        t = e.ticket
        department = t.department or self.default_department
        if t.assignee and self.department(department).assign_follow_ups:
            await self.presence.reserve(t.assignee, t.id, capacity=None)
            return []
        if t.assignee:
            await self.command(
                c.AssignTicket(
                    actor=ACTOR, ticket_id=t.id, agent=None, reason="follow-ups are not kept"
                )
            )
        return [(department, ())]

    async def command(self, command: c.Command) -> c.CommandOk | c.CommandError:
        return (await self.commands([command]))[0]

    async def commands(self, commands: list[c.Command]) -> list[c.CommandOk | c.CommandError]:
        replies = await self.store.commands(commands)
        for command, reply in zip(commands, replies, strict=True):
            if isinstance(reply, c.CommandError) and reply.code != "conflict":
                log.warning("store refused %s: %s", type(command).__name__, reply.message)
        return replies

    async def agents(self, department: str) -> list[AgentLoad]:
        statuses = await self.presence.statuses()
        loads = await self.presence.loads()
        return [
            AgentLoad(
                id=a.id,
                status=statuses.get(a.id, "offline"),
                capacity=a.capacity,
                open=len(loads[a.id].tickets) if a.id in loads else 0,
                languages=tuple(a.languages),
                last_assigned=loads[a.id].last_assigned if a.id in loads else 0.0,
            )
            for a in self.directory.agents
            if a.active and department in a.departments
        ]

    async def drain(
        self, department: str, exclude: tuple[str, ...] = (), fresh: Sequence[Fresh] = ()
    ) -> int:
        """Assign the department's waiting tickets while its online agents have room.
        `fresh` tickets are not routed yet: their routes go first in the same request."""
        routes: list[c.Command] = [x for f in fresh for x in f.commands()]
        async with self.locks[department]:
            settings = self.department(department)
            agents = await self.agents(department) if settings.policy != "manual" else []
            room = sum(max(a.capacity - a.open, 0) for a in agents if a.status == "online")
            if not room:
                await self.commands(routes)
                return 0
            # Only the head of the queue can be assigned now: as many as there are free slots.
            query = q.ListTickets(
                department=department,
                assignee="none",
                status=["open", "pending"],
                order="queue",
                limit=min(room + len(exclude), 500),
            )
            queued = (await self.store.page(query)).items
            known = {t.id for t in queued}
            tickets = [*queued, *(f.ticket for f in fresh if f.ticket.id not in known)]
            waiting = [await self._waiting(t, settings.policy, exclude) for t in tickets]
            plan = drain(waiting, agents, settings.policy, settings.fallback_policy)
            claimed = await self._claim(department, plan, agents)
            assigns: list[c.Command] = [
                c.AssignTicket(
                    actor=ACTOR,
                    ticket_id=ticket.ticket_id,
                    agent=agent.id,
                    # Not the version: a customer writing again meanwhile changes it, yet the
                    # ticket still waits for exactly this decision.
                    if_waiting_in=department,
                    reason=f"policy {settings.policy} in {department}",
                )
                for ticket, agent in claimed
            ]
            try:
                replies = await self.commands([*routes, *assigns])
            except BaseException:
                # No answer: a slot held for an assignment that may never have happened would
                # be lost for good. Give them back; one that did happen comes back with its
                # `ticket.assigned` event.
                for ticket, agent in claimed:
                    with contextlib.suppress(Exception):
                        await self.presence.release(agent.id, ticket.ticket_id)
                raise
            outcomes = replies[len(routes) :]
            for (ticket, agent), reply in zip(claimed, outcomes, strict=True):
                if isinstance(reply, c.CommandError):
                    await self.presence.release(agent.id, ticket.ticket_id)
            return sum(isinstance(r, c.CommandOk) for r in outcomes)

    async def _waiting(self, t: TicketView, policy: str, exclude: tuple[str, ...]) -> Waiting:
        sticky = await self._sticky(t.contact_id, t.id) if policy == "sticky" else None
        return Waiting(
            t.id,
            t.priority,
            t.created_at,
            language=t.language,
            sticky_agent=sticky,
            exclude=exclude,
        )

    async def _claim(
        self, department: str, plan: list[tuple[Waiting, AgentLoad]], agents: list[AgentLoad]
    ) -> list[tuple[Waiting, AgentLoad]]:
        """One claim per agent, side by side (compare-and-set keeps each within capacity);
        a ticket not claimed means another replica holds the slot: the next drain decides."""
        per_agent: defaultdict[str, list[str]] = defaultdict(list)
        for ticket, agent in plan:
            per_agent[agent.id].append(ticket.ticket_id)
        capacity = {a.id: a.capacity for a in agents}
        won = await asyncio.gather(
            *(self.presence.reserve_many(a, ids, capacity[a]) for a, ids in per_agent.items())
        )
        claims = {(agent, t) for agent, (ids, _) in zip(per_agent, won, strict=True) for t in ids}
        held = [(agent, t) for agent, (_, ids) in zip(per_agent, won, strict=True) for t in ids]
        await self._release_stale(department, held)
        return [(t, a) for t, a in plan if (a.id, t.ticket_id) in claims]

    async def _release_stale(self, department: str, held: list[tuple[str, str]]) -> None:
        """Give back slots held for tickets the store still has waiting long after any claim
        would have been decided: a router killed between its claim and its assign command
        left them, and they would keep those tickets from those agents for good (seen in the
        chaos run: a ticket waited 30 s with three agents online). Another replica's claim in
        flight looks the same for a moment, hence the wait."""
        now = time.monotonic()
        seen = self.held_since.pop(department, {})
        still = self.held_since[department] = {}
        for slot in held:
            since = still[slot] = seen.get(slot, now)
            if now - since >= STALE_SLOT:
                log.warning("slot of %s for waiting ticket %s left by a claim; given back", *slot)
                await self.presence.release(*slot)
                del still[slot]

    async def _sticky(self, contact_id: str, ticket_id: str) -> str | None:
        earlier = (await self.store.page(q.ListTickets(contact_id=contact_id, limit=20))).items
        return next((t.assignee for t in earlier if t.id != ticket_id and t.assignee), None)

    async def sweep(self, now: float | None = None) -> None:
        """Timeouts, offline agents, and every queue (catches agents who came online)."""
        now = now or time.time()
        await self.refresh()
        await upkeep.assignment_timeouts(self, datetime.fromtimestamp(now, UTC))
        await upkeep.offline_agents(self, now)
        await upkeep.stray_slots(self, now)
        await upkeep.timers(self, datetime.fromtimestamp(now, UTC))
        for department in {self.default_department, *(x.id for x in self.directory.departments)}:
            self.request_drain(department)
        await self.idle()
