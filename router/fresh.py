"""A new ticket as the rules route it: the route to send and the ticket it leaves. Pure.

The dispatcher sends the route and the new ticket's assignment in one store request, so it
needs the ticket as the store will hold it once routed before the store has answered.
"""

from dataclasses import dataclass

from contracts import commands as c
from contracts import directory as d
from contracts import events as ev
from contracts.tickets import MACHINE_MAIL, TicketView
from router import rules


@dataclass(frozen=True)
class Fresh:
    """A new ticket as it will be once routed, and the route to send first (None when the
    rules leave it as it is)."""

    ticket: TicketView
    route: c.RouteTicket | None
    acknowledge: c.AcknowledgeTicket | None = None

    def commands(self) -> list[c.Command]:
        """What goes to the store before any assignment: the route, then the acknowledgement
        (which needs the department the route gives)."""
        return [x for x in (self.route, self.acknowledge) if x is not None]


def route_new(
    e: ev.TicketCreated | ev.MenuCompleted,
    directory: d.Directory,
    default_department: str,
    actor: str,
) -> Fresh:
    """What the rules make of a new ticket; `actor` signs the route."""
    t = e.ticket
    convo = rules.Conversation(
        channel=t.channel,
        account=t.account,
        subject=t.subject,
        text=e.first_message.text if e.first_message else "",
        recipient=e.recipient if isinstance(e, ev.TicketCreated) else None,
        language=t.language,
        department_hint=e.department_hint,
        department=t.department,
        menu_path="/".join(t.menu.path) if t.menu else "",
        tags=tuple(t.tags),
    )
    known = {x.id for x in directory.departments}
    decision = rules.route(convo, directory.rules, default_department, known)
    priority = rules.higher(t.priority, decision.priority)
    new_tags = [x for x in decision.tags if x not in t.tags]
    acknowledge = _acknowledgement(e, directory, decision.department, actor)
    if t.department == decision.department and priority == t.priority and not new_tags:
        return Fresh(t, None, acknowledge)
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
    return Fresh(routed, route, acknowledge)


def _acknowledgement(
    e: ev.TicketCreated | ev.MenuCompleted, directory: d.Directory, department: str, actor: str
) -> c.AcknowledgeTicket | None:
    """A customer's new conversation in a department that acknowledges; never one an agent
    opened, and never mail written by a machine (two desks would answer each other)."""
    settings = next((x for x in directory.departments if x.id == department), None)
    if settings is None or not settings.acknowledge or e.actor is not None:
        return None
    if MACHINE_MAIL & set(e.ticket.tags):
        return None
    return c.AcknowledgeTicket(actor=actor, ticket_id=e.ticket.id, reason="new ticket")
