"""Commands of service levels: fire what fell due on a ticket (SLA warnings and breaches with
their escalation, follow-ups), escalate to a supervisor by hand, and acknowledge a new ticket.

Firing is exactly once across router replicas because the fired marks live on the ticket
and are written with its version check: whichever replica's command commits first fires,
the other finds nothing due (`conflict`).
"""

from datetime import datetime
from typing import Any

from contracts import commands as c
from contracts import directory as d
from contracts import events as ev
from contracts.base import utcnow
from contracts.service_levels import Escalation
from contracts.tickets import MACHINE_MAIL, PRIORITIES, TicketView
from services.sla import clocks, notices
from services.store import rules, service_levels
from services.store.commands import Handler, ticket_of
from services.store.errors import Conflict, Invalid
from services.store.messages import add_message
from services.store.records import AuditEntry, Outcome
from services.store.repository import UnitOfWork


async def on_fire_timers(uow: UnitOfWork, cmd: c.FireTimers) -> Outcome:
    ticket = await ticket_of(uow, cmd)
    found = await service_levels.levels(uow)
    department = found.departments.get(ticket.department or "")
    follow_up = clocks.next_follow_up(ticket, department)
    if follow_up and follow_up[1] <= cmd.at:
        return await _follow_up(uow, ticket, department, follow_up[0], cmd)
    if ticket.sla is None:
        raise Conflict(f"nothing due on ticket {ticket.number}", "at")
    state, fired = clocks.fire(ticket.sla, cmd.at)
    if not fired:
        raise Conflict(f"nothing due on ticket {ticket.number}", "at")
    updates: dict[str, Any] = {"sla": state}
    actions: list[str] = []
    breached = [f for f in fired if f.stage == "breached"]
    if breached:
        policy = next((p for p in found.policies if p.id == state.policy_id), None)
        if policy:
            actions = await _escalate(uow, ticket, policy.escalation, updates)
    new = rules.changed(ticket, **updates)
    new = await service_levels.stamped(uow, ticket, new)
    await uow.update_ticket(new)
    events: list[ev.Event] = []
    for f in fired:
        target = f.target.replace("_", " ")
        reason = f"SLA {state.policy_name}: {target} due {f.due_at:%Y-%m-%d %H:%M} UTC"
        if f.stage == "warning":
            events.append(
                ev.SlaWarning(
                    ticket=new, actor=cmd.actor, reason=reason, target=f.target, due_at=f.due_at
                )
            )
        else:
            events.append(
                ev.SlaBreached(
                    ticket=new,
                    actor=cmd.actor,
                    reason=reason,
                    target=f.target,
                    due_at=f.due_at,
                    escalation=actions,
                )
            )
        detail = {"target": f.target, "due_at": f.due_at.isoformat(), "escalation": actions}
        await uow.add_audit([AuditEntry(new.id, cmd.actor, f"sla.{f.stage}", detail)])
    if new.assignee != ticket.assignee:
        events.append(
            ev.TicketAssigned(
                ticket=new,
                actor=cmd.actor,
                reason="SLA escalation",
                previous_assignee=ticket.assignee,
            )
        )
    return Outcome(c.CommandOk(ticket=new), events)


async def _escalate(
    uow: UnitOfWork, ticket: TicketView, escalation: Escalation, updates: dict[str, Any]
) -> list[str]:
    """Apply a policy's escalation to `updates`; say what was done."""
    done = []
    wanted = escalation.priority
    if wanted and PRIORITIES.index(wanted) > PRIORITIES.index(ticket.priority):
        updates["priority"] = wanted
        done.append(f"priority {wanted}")
    if tags := [t for t in escalation.tags if t not in ticket.tags]:
        updates["tags"] = [*ticket.tags, *tags]
        done.append("tagged " + ", ".join(tags))
    if escalation.assign_to:
        agent = (
            await supervisor_of(uow, ticket.department)
            if escalation.assign_to == "supervisor"
            else escalation.assign_to
        )
        if agent and agent != ticket.assignee:
            updates["assignee"] = agent
            updates["assigned_at"] = utcnow()
            done.append(f"assigned to {agent}")
    return done


async def supervisor_of(uow: UnitOfWork, department: str | None) -> str | None:
    """The department's supervisor (the first active one by name), else an active admin."""
    agents = [d.AgentView.model_validate_json(doc) for doc in await uow.items("agent")]
    active = sorted((a for a in agents if a.active), key=lambda a: (a.name, a.id))
    chosen = next(
        (a for a in active if a.role == "supervisor" and department in a.departments), None
    ) or next((a for a in active if a.role == "admin"), None)
    return chosen.id if chosen else None


async def _follow_up(
    uow: UnitOfWork,
    ticket: TicketView,
    department: d.DepartmentView | None,
    kind: str,
    cmd: c.FireTimers,
) -> Outcome:
    if kind == "remind":
        contact = await uow.get_contact(ticket.contact_id)
        text = notices.reminder(ticket, contact, department, cmd.at)
        reply = c.AddReply(actor=cmd.actor, ticket_id=ticket.id, text=text, reason="follow-up")
        return await add_message(uow, ticket, reply, automatic=True, also={"reminded_at": cmd.at})
    status = "resolved" if kind == "resolve" else "closed"
    days = department.resolve_pending_days if kind == "resolve" else department.close_resolved_days  # type: ignore[union-attr]
    reason = f"follow-up: {status} after {days} days without an answer"
    new = await service_levels.stamped(uow, ticket, rules.changed(ticket, status=status))
    await uow.update_ticket(new)
    detail = {"from": {"status": ticket.status}, "to": {"status": status}, "reason": reason}
    await uow.add_audit([AuditEntry(new.id, cmd.actor, "status", detail)])
    event = ev.TicketChanged(ticket=new, actor=cmd.actor, reason=reason, fields=["status"])
    return Outcome(c.CommandOk(ticket=new), [event])


async def on_escalate(uow: UnitOfWork, cmd: c.EscalateTicket) -> Outcome:
    ticket = await ticket_of(uow, cmd)
    supervisor = cmd.supervisor or await supervisor_of(uow, ticket.department)
    if supervisor is None:
        raise Invalid(f"department {ticket.department} has no supervisor", "supervisor")
    now = utcnow()
    tags = ticket.tags if "escalated" in ticket.tags else [*ticket.tags, "escalated"]
    new = rules.changed(
        ticket, at=now, assignee=supervisor, assigned_at=now, escalated_at=now, tags=tags
    )
    new = await service_levels.stamped(uow, ticket, new)
    await uow.update_ticket(new)
    detail = {"supervisor": supervisor, "from": ticket.assignee, "reason": cmd.reason}
    await uow.add_audit([AuditEntry(new.id, cmd.actor, "escalated", detail)])
    events: list[ev.Event] = [
        ev.TicketEscalated(ticket=new, actor=cmd.actor, reason=cmd.reason, supervisor=supervisor)
    ]
    if supervisor != ticket.assignee:
        events.append(
            ev.TicketAssigned(
                ticket=new, actor=cmd.actor, reason="escalated", previous_assignee=ticket.assignee
            )
        )
    return Outcome(c.CommandOk(ticket=new), events)


def acknowledgeable(ticket: TicketView) -> bool:
    """Never to machines (auto-replies, bounces, bulk mail), never twice."""
    return ticket.acknowledged_at is None and not MACHINE_MAIL & set(ticket.tags)


async def on_acknowledge(uow: UnitOfWork, cmd: c.AcknowledgeTicket) -> Outcome:
    ticket = await ticket_of(uow, cmd)
    if not acknowledgeable(ticket):
        return Outcome(c.CommandOk(ticket=ticket))
    found = await service_levels.levels(uow)
    department = found.departments.get(ticket.department or "")
    contact = await uow.get_contact(ticket.contact_id)
    now: datetime = utcnow()
    text = notices.acknowledgement(ticket, contact, department, now)
    reply = c.AddReply(actor=cmd.actor, ticket_id=ticket.id, text=text, reason="acknowledgement")
    return await add_message(uow, ticket, reply, automatic=True, also={"acknowledged_at": now})


TIMER_HANDLERS: dict[type[Any], Handler] = {
    c.FireTimers: on_fire_timers,
    c.EscalateTicket: on_escalate,
    c.AcknowledgeTicket: on_acknowledge,
}
