"""Assignment policies: which online agent gets a ticket. Pure.

`least_loaded` takes the eligible agent with the fewest open tickets, ties broken by who was
assigned least recently (so equal agents take turns); `round_robin` only takes turns;
`sticky` prefers the contact's last agent and otherwise falls back; `manual` never assigns.
Eligible: online, under capacity, and speaking the ticket's language when anyone does.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from contracts.directory import Policy

Status = str  # "online" | "away" | "offline"


@dataclass(frozen=True)
class AgentLoad:
    id: str
    status: Status = "offline"
    capacity: int = 10
    open: int = 0
    languages: tuple[str, ...] = ()
    last_assigned: float = 0.0  # a monotonic counter or time; lower = longer ago

    @property
    def free(self) -> bool:
        return self.status == "online" and self.open < self.capacity


def eligible(agents: Iterable[AgentLoad], language: str | None) -> list[AgentLoad]:
    """Online agents under capacity; narrowed to the ticket's language when someone speaks it."""
    free = [a for a in agents if a.free]
    if language:
        base = language.split("-")[0].casefold()
        speakers = [a for a in free if base in (x.casefold() for x in a.languages)]
        if speakers:
            return speakers
    return free


def choose(
    policy: Policy,
    agents: Sequence[AgentLoad],
    *,
    language: str | None = None,
    sticky_agent: str | None = None,
    fallback: Policy = "least_loaded",
) -> AgentLoad | None:
    """The agent `policy` picks among `agents` (the department's members), or None."""
    if policy == "manual":
        return None
    candidates = eligible(agents, language)
    if not candidates:
        return None
    if policy == "sticky":
        if sticky_agent:
            for agent in candidates:
                if agent.id == sticky_agent:
                    return agent
        return choose(
            fallback if fallback != "sticky" else "least_loaded", candidates, language=language
        )
    if policy == "round_robin":
        return min(candidates, key=lambda a: (a.last_assigned, a.id))
    return min(candidates, key=lambda a: (a.open, a.last_assigned, a.id))


def assigned(agent: AgentLoad, at: float) -> AgentLoad:
    """The agent's load after one more ticket."""
    return replace(agent, open=agent.open + 1, last_assigned=at)
