"""Inbound ingestion: a customer message becomes a contact, a ticket and a stored message.

Runs inside a unit of work; the events it returns are written to the outbox in the same
transaction and published after commit. The dedupe key makes a repeated platform message a
no-op, so a redelivery never stores or announces anything twice.
"""

from datetime import timedelta

from contracts import events as ev
from contracts.directory import DepartmentView
from contracts.messages import DeliveryReport, InboundMessage
from contracts.tickets import ContactView, MenuState, MessageView, TicketView
from services.store import rules, service_levels
from services.store.errors import Missing
from services.store.records import AuditEntry
from services.store.repository import UnitOfWork

MAX_MERGE_HOPS = 10


async def ingest(
    uow: UnitOfWork, msg: InboundMessage, opening: MenuState | None = None
) -> list[ev.Event]:
    """Store a customer's message on its ticket (a new one, with the bot menu `opening` when
    the account has one); the events it comes to."""
    if msg.consent is not None:
        await _consent(uow, msg)
        return []
    if msg.edit_of_external_id:
        return await _ingest_edit(uow, msg)
    if await uow.message_by_dedupe(msg.dedupe_key):
        return []
    contact = await _contact_for(uow, msg)
    thread = rules.thread_key(msg.channel, msg.account, msg.thread_key)
    live = (
        await _referenced(uow, msg)
        or await _named(uow, msg, contact)
        or await uow.live_ticket(thread)
    )
    if live is None:
        live = await _merged_target(uow, thread) or await _reopenable(uow, thread, msg)
    events: list[ev.Event] = []
    if live is None:
        ticket = await _open(uow, msg, contact, thread, opening)
        events.append(
            ev.TicketCreated(
                ticket=ticket,
                contact=contact,
                recipient=msg.recipient,
                department_hint=msg.department_hint,
            )
        )
    else:
        ticket = rules.changed(
            live,
            status="open",
            last_inbound_at=msg.received_at,
            **rules.labels_added(live, msg),
        )
        ticket = await service_levels.stamped(uow, live, ticket)
        await uow.update_ticket(ticket)
        if rules.decide(live) == "reopen":
            events.append(ev.TicketReopened(ticket=ticket, reason="customer wrote again"))
            await uow.add_audit([AuditEntry(ticket.id, "system", "reopened", {})])
    message = rules.inbound_message(msg, ticket, contact)
    if events and isinstance(events[0], ev.TicketCreated):
        events[0].first_message = message
    await uow.insert_message(message, dedupe_key=msg.dedupe_key)
    await uow.index_search(ticket.id, message.id, rules.search_text(msg.subject, msg.text))
    events.append(ev.MessageCreated(ticket=ticket, message=message))
    return events


async def _open(
    uow: UnitOfWork,
    msg: InboundMessage,
    contact: ContactView,
    thread: str,
    opening: MenuState | None,
) -> TicketView:
    previous = await uow.latest_ticket(thread)
    ticket = rules.new_ticket(msg, contact, await uow.next_ticket_number())
    if opening is not None:  # waits on the customer's choice, out of every queue
        ticket = ticket.model_copy(update={"menu": opening, "status": "pending"})
    if previous:
        ticket = ticket.model_copy(update={"previous_ticket_id": previous.id})
    ticket = await service_levels.stamped(uow, None, ticket)
    await uow.insert_ticket(ticket)
    # The contact is found through the ticket: its name and email are indexed once.
    await uow.index_search(
        ticket.id, None, rules.search_text(ticket.subject, contact.name, contact.email)
    )
    await uow.add_audit([AuditEntry(ticket.id, "system", "created", {"via": msg.channel})])
    return ticket


async def _consent(uow: UnitOfWork, msg: InboundMessage) -> None:
    """The customer allowed or turned off messages from us on this channel: kept on the
    contact (made if this is the first we hear of them), so replies there fail at once."""
    contact = await _contact_for(uow, msg)
    who = rules.identity(msg.channel, msg.sender.channel_user_id)
    refused = [x for x in contact.refused if x != who]
    if msg.consent == "denied":
        refused.append(who)
    if refused != contact.refused:
        await uow.save_contact(contact.model_copy(update={"refused": refused}), new=False)


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


async def _referenced(uow: UnitOfWork, msg: InboundMessage) -> TicketView | None:
    """The open ticket owning a message this one answers (an email's In-Reply-To, a reply in
    Telegram), whatever thread the platform put it in; merges are followed."""
    for ref in msg.references:
        known = await uow.message_by_dedupe(rules.platform_key(msg.channel, msg.account, ref))
        ticket = await uow.get_ticket(known.ticket_id) if known else None
        ticket = await _follow_merges(uow, ticket)
        if ticket is not None and ticket.status != "closed":
            return ticket
    return None


async def _named(uow: UnitOfWork, msg: InboundMessage, contact: ContactView) -> TicketView | None:
    """The open ticket a message names: by a token its adapter verified (anyone holding the
    signed reply-to address may write to it), else by a number in its subject, which anyone
    can type, so only the ticket's own contact joins it that way."""
    if msg.ticket_token:
        ticket = await _follow_merges(uow, await uow.get_ticket(msg.ticket_token))
        if ticket is not None and ticket.status != "closed" and ticket.channel == msg.channel:
            return ticket
    if msg.ticket_number is not None:
        ticket = await _follow_merges(uow, await uow.ticket_by_number(msg.ticket_number))
        if ticket is not None and ticket.status != "closed" and ticket.contact_id == contact.id:
            return ticket
    return None


async def _follow_merges(uow: UnitOfWork, ticket: TicketView | None) -> TicketView | None:
    hops = 0
    while ticket and ticket.merged_into and hops < MAX_MERGE_HOPS:
        ticket = await uow.get_ticket(ticket.merged_into)
        hops += 1
    return ticket


async def _merged_target(uow: UnitOfWork, thread: str) -> TicketView | None:
    """A thread whose ticket was merged away continues in the ticket it was merged into."""
    latest = await uow.latest_ticket(thread)
    if latest is None or not latest.merged_into:
        return None
    target = await _follow_merges(uow, latest)
    return target if target and target.status != "closed" else None


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
    original_key = rules.platform_key(msg.channel, msg.account, msg.edit_of_external_id or "")
    original = await uow.message_by_dedupe(original_key)
    if original is None:
        # The edit arrived for a message we never saw: keep it as a message of its own.
        return await ingest(uow, msg.model_copy(update={"edit_of_external_id": None}))
    if original.text == msg.text and original.edited:
        return []
    edited = original.model_copy(update={"text": msg.text, "html": msg.html, "edited": True})
    await uow.update_message(edited)
    await uow.index_search(edited.ticket_id, edited.id, rules.search_text(msg.subject, msg.text))
    ticket = await _owner(uow, edited)
    return [ev.MessageUpdated(ticket=ticket, message=edited, reason="edited by the customer")]


async def record_delivery(uow: UnitOfWork, report: DeliveryReport) -> list[ev.Event]:
    """A delivery report updates its message; a stale or repeated one changes nothing.

    A report of a send names the platform's id of the message: it is indexed, so a later
    receipt naming that id alone (Viber's `seen`, a web chat browser's), or a customer's
    answer referring to it, finds the message. A receipt can overtake the report of the send
    (the customer's app answers faster than our report travels): it is held until then."""
    key = report.platform_key
    if report.message_id is not None:
        message = await uow.get_message(report.message_id)
    else:
        message = await uow.message_by_dedupe(key) if key else None
        if message is None and key:
            await uow.hold_receipt(key, report.model_dump_json())
            return []
    if message is None:
        return []
    events = await _apply(uow, message, report)
    if report.status == "sent" and key and await uow.message_by_dedupe(key) is None:
        # A key an inbound message already holds is that message's: never taken over.
        await uow.name_message(message.id, key)
        for held in await uow.held_receipts(key):
            current = await uow.get_message(message.id) or message
            events += await _apply(uow, current, DeliveryReport.model_validate_json(held))
    return events


async def _apply(uow: UnitOfWork, message: MessageView, report: DeliveryReport) -> list[ev.Event]:
    updated = rules.apply_delivery(message, report)
    if updated is None:
        return []
    await uow.update_message(updated)
    ticket = await _owner(uow, updated)
    return [ev.MessageUpdated(ticket=ticket, message=updated, reason=report.reason)]


async def _owner(uow: UnitOfWork, message: MessageView) -> TicketView:
    ticket = await uow.get_ticket(message.ticket_id)
    if ticket is None:  # the store writes a message only with its ticket
        raise Missing(f"message {message.id} belongs to no ticket {message.ticket_id}")
    return ticket
