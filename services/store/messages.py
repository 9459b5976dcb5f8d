"""Replies and notes: stored on the ticket and, for a reply, staged for the customer's channel
with everything its adapter needs to thread and address it (adapters look nothing up).
"""

from typing import Any

from contracts import commands as c
from contracts import events as ev
from contracts import streams, subjects
from contracts.base import new_id, utcnow
from contracts.directory import DepartmentView
from contracts.messages import OutboundMessage
from contracts.tickets import MessageView, TicketView
from services.store import rules, service_levels
from services.store.commands import Handler, ticket_of
from services.store.records import AuditEntry, OutboxEntry, Outcome
from services.store.repository import UnitOfWork


async def _add_message(uow: UnitOfWork, cmd: c.AddReply | c.AddNote, note: bool) -> Outcome:
    return await add_message(uow, await ticket_of(uow, cmd), cmd, note=note)


async def add_message(
    uow: UnitOfWork,
    ticket: TicketView,
    cmd: c.AddReply | c.AddNote,
    *,
    note: bool = False,
    automatic: bool = False,
    also: dict[str, Any] | None = None,
) -> Outcome:
    """Store a reply or note on `ticket` (as stored) and stage the reply for its channel. An
    `automatic` one (an acknowledgement, a reminder) is not an agent's answer: it starts no
    response clock and is marked for the channel as sent by a machine."""
    now = utcnow()
    refused = not note and await _refused(uow, ticket)
    message = MessageView(
        id=new_id(),
        ticket_id=ticket.id,
        direction="note" if note else "outbound",
        delivery_status="failed" if refused else None,
        delivery_reason=REFUSED if refused else None,
        text=cmd.text,
        html=getattr(cmd, "html", None),
        author=cmd.actor,
        attachments=getattr(cmd, "attachments", []),
        created_at=now,
    )
    await uow.insert_message(message, dedupe_key=None)
    await uow.index_search(ticket.id, message.id, cmd.text)
    updates: dict[str, Any] = dict(also or {})
    if not note and not automatic:
        updates["last_agent_reply_at"] = now
        if ticket.first_response_at is None:
            updates["first_response_at"] = now
    new = await service_levels.stamped(uow, ticket, rules.changed(ticket, at=now, **updates))
    await uow.update_ticket(new)
    action = "note" if note else "automatic" if automatic else "replied"
    await uow.add_audit(
        [AuditEntry(new.id, cmd.actor, action, {"reason": cmd.reason} if automatic else {})]
    )
    outcome = Outcome(
        c.CommandOk(ticket=new, message=message), [ev.MessageCreated(ticket=new, message=message)]
    )
    if isinstance(cmd, c.AddReply) and not refused:
        out = await _outbound(uow, new, message, cmd)
        if automatic:
            out.automatic = True
        subject = subjects.outbound_chat(
            out.channel, out.account, out.thread_key, streams.OUTBOUND_PARTITIONS
        )
        outcome.outbound.append(OutboxEntry(subject, out.to_bytes(), out.id, kind="outbound"))
    return outcome


REFUSED = "the customer has turned off messages from us on this channel"


async def _refused(uow: UnitOfWork, ticket: TicketView) -> bool:
    """The conversation's customer turned off messages from us there (VK's message_deny)."""
    contact = await uow.get_contact(ticket.contact_id)
    return (
        contact is not None and rules.identity(ticket.channel, ticket.thread_key) in contact.refused
    )


async def _outbound(
    uow: UnitOfWork, ticket: TicketView, message: MessageView, cmd: c.AddReply
) -> OutboundMessage:
    """The reply as its adapter sends it, with what the platform needs to thread it (the
    customer's message answered, the conversation's ids) and whom to send it to: adapters
    hold no ticket state and look nothing up."""
    conversation = await uow.get_messages(ticket.id)
    contact = await uow.get_contact(ticket.contact_id)
    department = await _department(uow, ticket.department)
    return OutboundMessage(
        ticket_id=ticket.id,
        message_id=message.id,
        channel=ticket.channel,
        account=ticket.account,
        thread_key=ticket.thread_key,
        text=cmd.text,
        html=cmd.html,
        subject=ticket.subject,
        attachments=cmd.attachments,
        buttons=cmd.buttons,
        reply_to_external_id=rules.answered(conversation),
        references=rules.references(conversation),
        recipient=contact.email if contact else None,
        cc=ticket.cc,
        ticket_number=ticket.number,
        department=ticket.department,
        department_name=department.name if department else None,
        signature=department.signature or None if department else None,
    )


async def _department(uow: UnitOfWork, department: str | None) -> DepartmentView | None:
    if department is None:
        return None
    found = (DepartmentView.model_validate_json(doc) for doc in await uow.items("department"))
    return next((d for d in found if d.id == department), None)


async def on_reply(uow: UnitOfWork, cmd: c.AddReply) -> Outcome:
    return await _add_message(uow, cmd, note=False)


async def on_note(uow: UnitOfWork, cmd: c.AddNote) -> Outcome:
    return await _add_message(uow, cmd, note=True)


MESSAGE_HANDLERS: dict[type[Any], Handler] = {c.AddReply: on_reply, c.AddNote: on_note}
