"""Upkeep the router does on every sweep: assignment timeouts, agents gone offline, and the
tickets whose SLA warning, breach or follow-up fell due."""

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, get_args

from contracts import commands as c
from contracts import queries as q
from contracts.presence import PresenceStatus
from contracts.tickets import TicketView
from router.settings import ACTOR
from services.runtime.metrics import AGENTS, SLA_EVENTS

if TYPE_CHECKING:
    from router.dispatch import Dispatcher


async def assignment_timeouts(desk: "Dispatcher", now: datetime) -> None:
    """Assigned tickets without an agent reply within the department's timeout go back."""
    for department in desk.directory.departments:
        if not department.assignment_timeout_minutes:
            continue
        limit = timedelta(minutes=department.assignment_timeout_minutes)
        for t in await desk.store.all_tickets(
            q.ListTickets(department=department.id, status=["open"])
        ):
            replied = (
                t.last_agent_reply_at and t.assigned_at and t.last_agent_reply_at >= t.assigned_at
            )
            if t.assignee and t.assigned_at and not replied and now - t.assigned_at >= limit:
                await desk.command(
                    c.AssignTicket(
                        actor=ACTOR,
                        ticket_id=t.id,
                        agent=None,
                        expected_version=t.version,
                        reason=f"assignment timeout: no reply from {t.assignee} within "
                        f"{department.assignment_timeout_minutes} min",
                    )
                )


async def offline_agents(desk: "Dispatcher", now: float) -> None:
    """An agent offline past the grace period gives their tickets back to the queue."""
    statuses = await desk.presence.statuses()
    counted = Counter(statuses.values())
    for status in get_args(PresenceStatus):
        AGENTS.labels(status).set(counted[status])
    for agent_id, load in (await desk.presence.loads()).items():
        if statuses.get(agent_id, "offline") != "offline":
            if load.offline_since is not None:
                await desk.presence.mark_offline(agent_id, None)
            continue
        if not load.tickets:
            continue
        if load.offline_since is None:
            await desk.presence.mark_offline(agent_id, now)
            continue
        agent = next((a for a in desk.directory.agents if a.id == agent_id), None)
        departments = agent.departments if agent else []
        grace = min((desk.department(x).offline_grace_minutes for x in departments), default=10)
        if now - load.offline_since < grace * 60:
            continue
        for ticket_id in load.tickets:
            await desk.command(
                c.AssignTicket(
                    actor=ACTOR,
                    ticket_id=ticket_id,
                    agent=None,
                    reason=f"{agent_id} offline for more than {grace} min",
                )
            )


# Once a minute: a listing per agent with a load. A slot still stray a minute later is no
# claim in flight (those are decided within seconds).
STRAYS_EVERY = 60.0


async def stray_slots(desk: "Dispatcher", now: float) -> int:
    """Give back slots in agents' loads for tickets the store does not have open or pending
    with that agent, when the last look a minute ago found them too: a router killed between
    its claim and its command, or a release that never ran, would otherwise keep a slot of
    that agent's capacity for good. How many were given back."""
    if now - desk.strays_at < STRAYS_EVERY:
        return 0
    desk.strays_at = now
    found: set[tuple[str, str]] = set()
    for agent_id, load in (await desk.presence.loads()).items():
        if not load.tickets:
            continue
        theirs = await desk.store.all_tickets(
            q.ListTickets(assignee=agent_id, status=["open", "pending"])
        )
        found |= {(agent_id, t) for t in set(load.tickets) - {t.id for t in theirs}}
    given_back, desk.strays = found & desk.strays, found - desk.strays
    for agent_id, ticket_id in given_back:
        await desk.presence.release(agent_id, ticket_id)
    return len(given_back)


TIMERS_PER_REQUEST = 200


async def timers(desk: "Dispatcher", now: datetime) -> int:
    """Ask the store to fire what fell due. Every replica may ask for the same ticket: the
    store fires each mark once and answers the others `conflict`, which is not an error."""
    due = await desk.store.all_tickets(q.ListTickets(timer_before=now, limit=500))
    fired = 0
    for start in range(0, len(due), TIMERS_PER_REQUEST):
        chunk = due[start : start + TIMERS_PER_REQUEST]
        replies = await desk.commands(
            [c.FireTimers(actor=ACTOR, ticket_id=t.id, at=now) for t in chunk]
        )
        for before, reply in zip(chunk, replies, strict=True):
            if isinstance(reply, c.CommandOk):
                fired += 1
                _count_sla(before, reply.ticket)
    return fired


def _count_sla(before: TicketView, after: TicketView | None) -> None:
    """The warnings and breaches one FireTimers set: the replica whose command fired them is
    the one that counts them, so each counts once across replicas."""
    if after is None or after.sla is None:
        return
    was = {k.target: k for k in before.sla.clocks} if before.sla else {}
    for clock in after.sla.clocks:
        old = was.get(clock.target)
        for stage, now, then in (
            ("warning", clock.warned, old.warned if old else False),
            ("breached", clock.breached, old.breached if old else False),
        ):
            if now and not then:
                SLA_EVENTS.labels(stage, after.department or "").inc()
