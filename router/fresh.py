"""A new ticket as the rules route it: the route to send and the ticket it leaves. Pure.

The dispatcher sends the route and the new ticket's assignment in one store request, so it
needs the ticket as the store will hold it once routed before the store has answered.
"""

from dataclasses import dataclass

from contracts import commands as c
from contracts import directory as d
from contracts import events as ev
from contracts.tickets import TicketView
from router import rules


@dataclass(frozen=True)
class Fresh:
    """A new ticket as it will be once routed, and the route to send first (None when the
    rules leave it as it is)."""

    ticket: TicketView
    route: c.RouteTicket | None


def route_new(
    e: ev.TicketCreated, directory: d.Directory, default_department: str, actor: str
) -> Fresh:
    """What the rules make of a new ticket; `actor` signs the route."""
    t = e.ticket
    convo = rules.Conversation(
        channel=t.channel,
        account=t.account,
        subject=t.subject,
        text=e.first_message.text if e.first_message else "",
        recipient=e.recipient,
        language=t.language,
        department_hint=e.department_hint,
        department=t.department,
        tags=tuple(t.tags),
    )
    known = {x.id for x in directory.departments}
    decision = rules.route(convo, directory.rules, default_department, known)
    priority = rules.higher(t.priority, decision.priority)
    new_tags = [x for x in decision.tags if x not in t.tags]
    if t.department == decision.department and priority == t.priority and not new_tags:
        return Fresh(t, None)
    route = c.RouteTicket(
        actor=actor,
        ticket_id=t.id,
        department=decision.department,
        priority=priority if priority != t.priority else None,
        tags=new_tags,
        reason=decision.reason,
    )
    tags = [*t.tags, *new_tags]
    routed = t.model_copy(
        update={"department": decision.department, "priority": priority, "tags": tags}
    )
    return Fresh(routed, route)
