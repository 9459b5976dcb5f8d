"""Inbound ingestion: a customer message becomes a contact, a ticket and a stored message.

Runs inside a unit of work; the events it returns are written to the outbox in the same
transaction and published after commit. The dedupe key makes a repeated platform message a
no-op, so a redelivery never stores or announces anything twice.
"""

from datetime import timedelta

from contracts import events as ev
from contracts.directory import DepartmentView
from contracts.messages import DeliveryReport, InboundMessage
from contracts.tickets import ContactView, TicketView
from services.store import rules
from services.store.records import AuditEntry
from services.store.repository import UnitOfWork


async def ingest(uow: UnitOfWork, msg: InboundMessage) -> list[ev.Event]:
    if msg.edit_of_external_id:
        return await _ingest_edit(uow, msg)
    if await uow.message_by_dedupe(msg.dedupe_key):
        return []
    contact = await _contact_for(uow, msg)
    thread = rules.thread_key(msg.channel, msg.account, msg.thread_key)
    live = await uow.live_ticket(thread)
    if live is None:
        live = await _merged_target(uow, thread) or await _reopenable(uow, thread, msg)
    events: list[ev.Event] = []
    match rules.decide(live):
        case "create":
            previous = await uow.latest_ticket(thread)
            ticket = rules.new_ticket(msg, contact, await uow.next_ticket_number())
            if previous:
                ticket = ticket.model_copy(update={"previous_ticket_id": previous.id})
            # The contact is found through the ticket: its name and email are indexed once.
            await uow.insert_ticket(ticket, rules.search_text(contact.name, contact.email))
            created = ev.TicketCreated(
                ticket=ticket,
                contact=contact,
                recipient=msg.recipient,
                department_hint=msg.department_hint,
            )
            events.append(created)
            await uow.add_audit([AuditEntry(ticket.id, "system", "created", {"via": msg.channel})])
        case "reopen":
            assert live
            ticket = rules.changed(live, status="open", last_inbound_at=msg.received_at)
            await uow.update_ticket(ticket)
            events.append(ev.TicketReopened(ticket=ticket, reason="customer wrote again"))
            await uow.add_audit([AuditEntry(ticket.id, "system", "reopened", {})])
        case "append":
            assert live
            ticket = rules.changed(live, status="open", last_inbound_at=msg.received_at)
            await uow.update_ticket(ticket)
    message = rules.inbound_message(msg, ticket, contact)
    if events and isinstance(events[0], ev.TicketCreated):
        events[0].first_message = message
    await uow.insert_message(
        message, dedupe_key=msg.dedupe_key, search_text=rules.search_text(msg.subject, msg.text)
    )
    events.append(ev.MessageCreated(ticket=ticket, message=message))
    return events


async def _contact_for(uow: UnitOfWork, msg: InboundMessage) -> ContactView:
    who = rules.identity(msg.channel, msg.sender.channel_user_id)
    contact = await uow.contact_by_identity(who)
    if contact is None:
        contact = rules.new_contact(msg)
        await uow.save_contact(contact, new=True)
    elif enriched := rules.enrich_contact(contact, msg):
        await uow.save_contact(enriched, new=False)
        contact = enriched
    return contact


async def _merged_target(uow: UnitOfWork, thread: str) -> TicketView | None:
    """A thread whose ticket was merged away continues in the ticket it was merged into."""
    latest = await uow.latest_ticket(thread)
    hops = 0
    while latest and latest.merged_into and hops < 10:
        latest = await uow.get_ticket(latest.merged_into)
        hops += 1
    if latest and hops and latest.status != "closed":
        return latest
    return None


async def _reopenable(uow: UnitOfWork, thread: str, msg: InboundMessage) -> TicketView | None:
    """A closed ticket whose department reopens follow-ups within `reopen_days` of closing."""
    latest = await uow.latest_ticket(thread)
    if latest is None or latest.status != "closed" or latest.merged_into or not latest.department:
        return None
    departments = [DepartmentView.model_validate_json(doc) for doc in await uow.items("department")]
    days = next((x.reopen_days for x in departments if x.id == latest.department), None)
    if days is not None and msg.received_at - latest.updated_at <= timedelta(days=days):
        return latest.model_copy(update={"status": "resolved"})  # decide() reopens it
    return None


async def _ingest_edit(uow: UnitOfWork, msg: InboundMessage) -> list[ev.Event]:
    original_key = f"{msg.channel}:{msg.account}:{msg.edit_of_external_id}"
    original = await uow.message_by_dedupe(original_key)
    if original is None:
        # The edit arrived for a message we never saw: keep it as a message of its own.
        return await ingest(uow, msg.model_copy(update={"edit_of_external_id": None}))
    if original.text == msg.text and original.edited:
        return []
    edited = original.model_copy(update={"text": msg.text, "html": msg.html, "edited": True})
    await uow.update_message(edited)
    ticket = await uow.get_ticket(edited.ticket_id)
    assert ticket
    return [ev.MessageUpdated(ticket=ticket, message=edited, reason="edited by the customer")]


async def record_delivery(uow: UnitOfWork, report: DeliveryReport) -> list[ev.Event]:
    """A delivery report updates its message; a stale or repeated one changes nothing."""
    message = await uow.get_message(report.message_id)
    if message is None:
        return []
    updated = rules.apply_delivery(message, report)
    if updated is None:
        return []
    await uow.update_message(updated)
    ticket = await uow.get_ticket(updated.ticket_id)
    assert ticket
    return [ev.MessageUpdated(ticket=ticket, message=updated, reason=report.reason)]
