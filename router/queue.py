"""The department queue: waiting tickets drained by priority, then age, as one decision. Pure.

A burst is decided as a batch against one snapshot of the agents' load, so tickets never
race each other for the same free slot, and an hour-old ticket is never overtaken by one
that arrived a second ago.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.directory import Policy
from contracts.tickets import PRIORITIES, Priority
from router.assignment import AgentLoad, assigned, choose


@dataclass(frozen=True)
class Waiting:
    ticket_id: str
    priority: Priority
    created_at: datetime
    language: str | None = None
    sticky_agent: str | None = None
    exclude: tuple[str, ...] = ()  # e.g. the agent whose assignment timed out


def order(waiting: Sequence[Waiting]) -> list[Waiting]:
    """Most urgent first; among equals, the oldest first."""
    return sorted(waiting, key=lambda w: (-PRIORITIES.index(w.priority), w.created_at, w.ticket_id))


def drain(
    waiting: Sequence[Waiting],
    agents: Sequence[AgentLoad],
    policy: Policy,
    fallback: Policy = "least_loaded",
    clock: float = 0.0,
) -> list[tuple[Waiting, AgentLoad]]:
    """Assign waiting tickets in queue order while anyone has room; returns (ticket, agent)
    pairs with each agent's load as it was when chosen. Tickets nobody can take stay queued."""
    loads = {a.id: a for a in agents}
    plan: list[tuple[Waiting, AgentLoad]] = []
    for n, ticket in enumerate(order(waiting)):
        agent = choose(
            policy,
            [a for a in loads.values() if a.id not in ticket.exclude],
            language=ticket.language,
            sticky_agent=ticket.sticky_agent,
            fallback=fallback,
        )
        if agent is None:
            if not any(a.free for a in loads.values()):
                break
            continue
        plan.append((ticket, agent))
        loads[agent.id] = assigned(agent, clock + n + 1)
    return plan
