"""Store commands (`commands.ticket.*`): validate, check the version, write, audit, announce.

Each handler runs inside one unit of work and returns the reply plus the events (and, for a
reply, the outbound message) that go to the outbox in the same transaction.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from contracts import commands as c
from contracts import events as ev
from contracts.base import new_id, utcnow
from contracts.tickets import TicketView
from services.store import rules, service_levels
from services.store.creation import on_create
from services.store.errors import NotFound
from services.store.records import AuditEntry, Outcome
from services.store.repository import UnitOfWork


async def ticket_of(uow: UnitOfWork, cmd: Any, into: str | None = None) -> TicketView:
    """The ticket a command is about (or, given `into`, the one it merges into), refused
    before anything is written when the actor may not act on it (`forbidden`) or saw another
    version (`conflict`)."""
    wanted, field = (into, "into") if into else (cmd.ticket_id, "ticket_id")
    ticket = await uow.get_ticket(wanted)
    if ticket is None:
        raise NotFound(f"no ticket {wanted}", field)
    rules.check_scope(ticket.department, cmd.departments, f"ticket {wanted}", field)
    if into is None:
        rules.check_version(ticket, cmd.expected_version)
    return ticket


async def _change(
    uow: UnitOfWork,
    cmd: Any,
    action: str,
    event: type[ev.Event] | None,
    also: dict[str, Any] | None = None,
    **updates: Any,
) -> Outcome:
    """Apply `updates` (a no-op when nothing would change) plus `also`, audit, announce."""
    ticket = await ticket_of(uow, cmd)
    before = {k: getattr(ticket, k) for k in updates}
    if before == updates:
        return Outcome(c.CommandOk(ticket=ticket))
    new = rules.changed(ticket, **updates, **(also or {}))
    new = await service_levels.stamped(uow, ticket, new)
    await uow.update_ticket(new)
    await uow.add_audit([AuditEntry(new.id, cmd.actor, action, _detail(before, updates, cmd))])
    if event is ev.TicketAssigned:
        e: ev.Event = ev.TicketAssigned(
            ticket=new, actor=cmd.actor, reason=cmd.reason, previous_assignee=before["assignee"]
        )
    elif event is ev.TicketTransferred:
        e = ev.TicketTransferred(
            ticket=new,
            actor=cmd.actor,
            reason=cmd.reason,
            previous_department=before["department"],
            previous_assignee=before["assignee"],
        )
    else:
        e = ev.TicketChanged(ticket=new, actor=cmd.actor, reason=cmd.reason, fields=list(updates))
    return Outcome(c.CommandOk(ticket=new), [e])


def _detail(before: dict[str, Any], after: dict[str, Any], cmd: Any) -> dict[str, Any]:
    return {"from": before, "to": after, "reason": cmd.reason}


async def on_assign(uow: UnitOfWork, cmd: c.AssignTicket) -> Outcome:
    if cmd.if_waiting_in is not None:
        rules.check_waiting(await ticket_of(uow, cmd), cmd.if_waiting_in)
    # When it was assigned is what an assignment timeout counts from.
    also = {"assigned_at": utcnow() if cmd.agent else None}
    return await _change(uow, cmd, "assigned", ev.TicketAssigned, also=also, assignee=cmd.agent)


async def on_transfer(uow: UnitOfWork, cmd: c.TransferTicket) -> Outcome:
    # A transfer hands the ticket to the new department's queue: the router assigns anew.
    return await _change(
        uow, cmd, "transferred", ev.TicketTransferred, department=cmd.department, assignee=None
    )


async def on_route(uow: UnitOfWork, cmd: c.RouteTicket) -> Outcome:
    ticket = await ticket_of(uow, cmd)
    tags = [*ticket.tags, *(t for t in dict.fromkeys(cmd.tags) if t not in ticket.tags)]
    updates: dict[str, Any] = {"department": cmd.department, "tags": tags}
    if cmd.priority is not None:
        updates["priority"] = cmd.priority
    if cmd.department != ticket.department:
        # A new department's queue: whoever held it in the old one lets go.
        updates["assignee"] = None
        return await _change(uow, cmd, "routed", ev.TicketTransferred, **updates)
    return await _change(uow, cmd, "routed", None, **updates)


async def on_status(uow: UnitOfWork, cmd: c.SetStatus) -> Outcome:
    return await _change(uow, cmd, "status", None, status=cmd.status)


async def on_priority(uow: UnitOfWork, cmd: c.SetPriority) -> Outcome:
    return await _change(uow, cmd, "priority", None, priority=cmd.priority)


async def on_tag(uow: UnitOfWork, cmd: c.TagTicket) -> Outcome:
    ticket = await ticket_of(uow, cmd)
    tags = [t for t in ticket.tags if t not in cmd.remove]
    tags += [t for t in dict.fromkeys(cmd.add) if t not in tags]
    return await _change(uow, cmd, "tagged", None, tags=tags)


async def on_split(uow: UnitOfWork, cmd: c.SplitTicket) -> Outcome:
    source = await ticket_of(uow, cmd)
    messages = await uow.get_messages(source.id)
    rules.split_check(source, messages, cmd.message_ids)
    now = utcnow()
    split = source.model_copy(
        update={
            "id": new_id(),
            "number": await uow.next_ticket_number(),
            "split_from": source.id,
            "status": "open",
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "first_response_at": None,
            "own_thread": True,
            "sla": None,
            "acknowledged_at": None,
        }
    )
    split = await service_levels.stamped(uow, None, split)
    await uow.insert_ticket(split)
    await uow.move_messages(cmd.message_ids, split.id)
    new_source = rules.changed(source, at=now)
    await uow.update_ticket(new_source)
    detail = {"message_ids": cmd.message_ids}
    await uow.add_audit(
        [
            AuditEntry(source.id, cmd.actor, "split", {**detail, "to": split.id}),
            AuditEntry(split.id, cmd.actor, "split", {**detail, "from": source.id}),
        ]
    )
    event = ev.TicketSplit(
        ticket=split, actor=cmd.actor, source_ticket_id=source.id, message_ids=cmd.message_ids
    )
    return Outcome(c.CommandOk(ticket=split, related=[new_source]), [event])


async def on_merge(uow: UnitOfWork, cmd: c.MergeTicket) -> Outcome:
    source = await ticket_of(uow, cmd)
    target = await ticket_of(uow, cmd, into=cmd.into)
    rules.merge_check(source, target)
    moved = [m.id for m in await uow.get_messages(source.id)]
    await uow.move_messages(moved, target.id)
    new_source = rules.changed(source, status="closed", merged_into=target.id)
    new_source = await service_levels.stamped(uow, source, new_source)
    new_target = rules.changed(target, tags=list(dict.fromkeys([*target.tags, *source.tags])))
    new_target = await service_levels.stamped(uow, target, new_target)
    await uow.update_ticket(new_source)
    await uow.update_ticket(new_target)
    await uow.add_audit(
        [
            AuditEntry(source.id, cmd.actor, "merged", {"into": target.id, "messages": moved}),
            AuditEntry(target.id, cmd.actor, "merged", {"from": source.id, "messages": moved}),
        ]
    )
    event = ev.TicketMerged(ticket=new_source, into=new_target, actor=cmd.actor)
    return Outcome(c.CommandOk(ticket=new_target, related=[new_source]), [event])


async def on_contact(uow: UnitOfWork, cmd: c.UpdateContact) -> Outcome:
    contact = await uow.get_contact(cmd.contact_id)
    if contact is None:
        raise NotFound(f"no contact {cmd.contact_id}", "contact_id")
    updates: dict[str, Any] = {
        "name": cmd.display_name,
        "email": cmd.email,
        "phone": cmd.phone,
        "language": cmd.language,
        "timezone": cmd.timezone,
    }
    contact = contact.model_copy(update={k: v for k, v in updates.items() if v is not None})
    await uow.save_contact(contact, new=False)
    return Outcome(c.CommandOk())


Handler = Callable[[UnitOfWork, Any], Awaitable[Outcome]]
COMMAND_HANDLERS: dict[type[Any], Handler] = {
    c.CreateTicket: on_create,
    c.AssignTicket: on_assign,
    c.TransferTicket: on_transfer,
    c.RouteTicket: on_route,
    c.SetStatus: on_status,
    c.SetPriority: on_priority,
    c.TagTicket: on_tag,
    c.SplitTicket: on_split,
    c.MergeTicket: on_merge,
    c.UpdateContact: on_contact,
}
