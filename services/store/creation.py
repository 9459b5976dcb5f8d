"""Tickets an agent opens (`commands.ticket.create`): a phone call logged, an e-mail started.

Its own path, not ingestion: creating never touches another ticket, even one live in the same
thread. Runs inside a unit of work like every command handler.
"""

from contracts import commands as c
from contracts import events as ev
from contracts.base import new_id
from contracts.tickets import ContactView, MessageView
from services.store import rules, service_levels
from services.store.records import AuditEntry, Outcome
from services.store.repository import UnitOfWork


async def on_create(uow: UnitOfWork, cmd: c.CreateTicket) -> Outcome:
    """A ticket an agent opens. Never the ingest path: given the thread of a live ticket it
    opens a second one beside it (replies reach the same chat) and leaves the first as is."""
    rules.check_scope(cmd.department, cmd.departments, "that department")
    contact = await _contact(uow, cmd)
    thread_key = cmd.thread_key or f"api-{new_id()}"
    thread = rules.thread_key(cmd.channel, cmd.account, thread_key)
    beside = await uow.live_ticket(thread) is not None
    ticket = rules.opened_ticket(cmd, thread_key, contact, await uow.next_ticket_number(), beside)
    ticket = await service_levels.stamped(uow, None, ticket)
    await uow.insert_ticket(ticket)
    await uow.index_search(
        ticket.id, None, rules.search_text(ticket.subject, contact.name, contact.email)
    )
    message = MessageView(
        id=new_id(),
        ticket_id=ticket.id,
        direction="inbound",
        text=cmd.text,
        author=contact.id,
        created_at=ticket.created_at,
    )
    await uow.insert_message(message, dedupe_key=None)
    await uow.index_search(ticket.id, message.id, rules.search_text(cmd.subject, cmd.text))
    detail: dict[str, object] = {
        "via": "api",
        "department": cmd.department,
        "priority": cmd.priority,
    }
    if beside:
        detail["beside_live_ticket"] = True
    await uow.add_audit([AuditEntry(ticket.id, cmd.actor, "created", detail)])
    created = ev.TicketCreated(
        ticket=ticket,
        actor=cmd.actor,
        contact=contact,
        department_hint=cmd.department,
        first_message=message,
    )
    stored = ev.MessageCreated(ticket=ticket, actor=cmd.actor, message=message)
    return Outcome(c.CommandOk(ticket=ticket, message=message), [created, stored])


async def _contact(uow: UnitOfWork, cmd: c.CreateTicket) -> ContactView:
    """The customer's contact, found by their identity. An agent whose departments have no
    ticket of that contact gets a contact of their own instead, with only what they typed:
    creating a ticket must not reveal another department's customer (their name, phone,
    other channels) nor let anyone change them. The customer's answer still finds the
    ticket, through the platform ids of the replies it carries."""
    who = rules.identity(cmd.channel, cmd.sender.channel_user_id)
    found = await uow.contact_by_identity(who)
    if found is not None and (
        cmd.departments is None or await uow.contact_known_in(found.id, cmd.departments)
    ):
        return found
    contact = rules.contact_of(cmd.channel, cmd.sender)
    if found is not None:
        contact = contact.model_copy(update={"identities": []})  # the identity is taken
    await uow.save_contact(contact, new=True)
    return contact
