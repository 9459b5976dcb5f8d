"""What the desk itself says in a conversation, decided in the transaction that stores the
customer's message: the bot menu (offered on a new conversation, advanced by each choice,
left for a person on any words) and the satisfaction rating (a button press records it, the
next words are its comment; neither reopens the resolved ticket).
"""

from typing import Any

from contracts import commands as c
from contracts import events as ev
from contracts.base import utcnow
from contracts.menus import Menu
from contracts.messages import InboundMessage
from contracts.tickets import MACHINE_MAIL, PRIORITIES, MenuState, Rating, TicketView
from services.bot import menu as bot
from services.bot import rating
from services.sla import notices
from services.store import commands, rules, service_levels
from services.store.commands import Handler
from services.store.errors import Invalid
from services.store.ingest import ingest
from services.store.messages import add_message
from services.store.outbox import event_entry
from services.store.records import AuditEntry, OutboxEntry, Outcome
from services.store.repository import UnitOfWork

BOT = "bot"


async def receive(uow: UnitOfWork, msg: InboundMessage) -> list[OutboxEntry]:
    """Store `msg` and stage what follows from it: events, and the bot's own messages."""
    if msg.consent is None and msg.edit_of_external_id is None:
        if (rated := rating.parse(msg.choice)) is not None:
            return await _rated_by_button(uow, msg, *rated)
        if (comment := await _commented(uow, msg)) is not None:
            return comment
    menu = await menu_of(uow, msg.channel, msg.account)
    if menu is not None and msg.choice and msg.choice.startswith("m:"):
        msg = _labelled(menu, msg)
    offer = menu is not None and not MACHINE_MAIL & set(msg.tags)
    events = await ingest(uow, msg, MenuState() if offer else None)
    entries = [event_entry(e) for e in events]
    ticket = next((e.ticket for e in reversed(events) if isinstance(e, ev.MessageCreated)), None)
    if menu is None or ticket is None or ticket.menu is None or not ticket.menu.open:
        return entries
    created = any(isinstance(e, ev.TicketCreated) for e in events)
    return entries + await _menu_step(uow, msg, menu, ticket, created)


async def menu_of(uow: UnitOfWork, channel: str, account: str) -> Menu | None:
    found = await service_levels.levels(uow)
    return next((m for m in found.menus if m.channel == channel and m.account == account), None)


def _labelled(menu: Menu, msg: InboundMessage) -> InboundMessage:
    """A press shows in the conversation as the option's title, not its button data."""
    if msg.text.strip() and msg.text != msg.choice:
        return msg
    node = bot.find(menu, (msg.choice or "").removeprefix("m:"))
    lang = (msg.sender.language or "en")[:2]
    title = bot.text(node.title, lang) if node else bot.text(bot.PERSON_TITLE, lang)
    return msg.model_copy(update={"text": f"▸ {title}"})


async def _menu_step(
    uow: UnitOfWork, msg: InboundMessage, menu: Menu, ticket: TicketView, created: bool
) -> list[OutboxEntry]:
    contact = await uow.get_contact(ticket.contact_id)
    lang = notices.language_of(ticket, contact, notices.LANGUAGES)
    state = ticket.menu or MenuState()
    # In a mail, the answer is what comes before the quoted menu.
    typed = msg.text[: msg.folded_from] if msg.folded_from else msg.text
    step = bot.first(menu, lang) if created else bot.step(menu, state, msg.choice, typed, lang)
    also: dict[str, Any] = {"menu": step.state}
    if step.kind in ("show", "answer"):
        also["status"] = "pending"  # waits on the customer's choice, clocks paused
    elif step.kind == "helped":
        also["status"] = "resolved"
        also["menu"] = step.state.model_copy(update={"closed_at": utcnow()})
    else:
        also.update(_handover(ticket, step))
    entries: list[OutboxEntry] = []
    if step.say:
        reply = c.AddReply(actor=BOT, ticket_id=ticket.id, text=step.say, buttons=step.buttons)
        outcome = await add_message(uow, ticket, reply, automatic=True, also=also)
        entries += [*map(event_entry, outcome.events), *outcome.outbound]
        after = outcome.reply.ticket or ticket
    else:
        after = await service_levels.stamped(uow, ticket, rules.changed(ticket, **also))
        await uow.update_ticket(after)
    await uow.add_audit(
        [AuditEntry(ticket.id, BOT, f"menu.{step.kind}", {"path": step.state.path})]
    )
    if step.kind == "handover":
        first = next(iter(await uow.get_messages(ticket.id)), None)
        done = ev.MenuCompleted(
            ticket=after,
            contact=contact,
            first_message=first,
            department_hint=step.node.department if step.node else None,
            reason=f"menu: {' / '.join(step.state.titles) or step.state.outcome}",
        )
        entries.append(event_entry(done))
    elif step.kind == "helped":
        entries.append(event_entry(ev.TicketChanged(ticket=after, actor=BOT, fields=["status"])))
    return entries


def _handover(ticket: TicketView, step: bot.Step) -> dict[str, Any]:
    """The ticket leaves the menu for a person: open, with the leaf's topic and priority."""
    updates: dict[str, Any] = {
        "status": "open",
        "menu": step.state.model_copy(update={"closed_at": utcnow()}),
    }
    node = step.node
    if node and node.topic and node.topic not in ticket.tags:
        updates["tags"] = [*ticket.tags, node.topic]
    if node and node.priority:
        updates["priority"] = max(ticket.priority, node.priority, key=PRIORITIES.index)
    return updates


async def _rated_by_button(
    uow: UnitOfWork, msg: InboundMessage, ticket_id: str, score: int
) -> list[OutboxEntry]:
    """A rating button: only the ticket's own conversation may press it, within the window."""
    ticket = await uow.get_ticket(ticket_id)
    mine = ticket is not None and (ticket.channel, ticket.account, ticket.thread_key) == (
        msg.channel,
        msg.account,
        msg.thread_key,
    )
    if ticket is None or not mine:
        return []
    return await rate(uow, ticket, score, None, actor=ticket.contact_id)


async def rate(
    uow: UnitOfWork, ticket: TicketView, score: int, comment: str | None, actor: str
) -> list[OutboxEntry]:
    """Record a score (once per resolution; a different one within 24 hours replaces it)."""
    now = utcnow()
    current = ticket.rating
    if current is None or not rating.open_for(current, now):
        return []
    if current.score == score and comment is None:
        return []  # the same press again: nothing changes
    first = current.score is None
    updated = current.model_copy(
        update={
            "score": score,
            "rated_at": now,
            "comment_open": first or current.comment_open,
            "comment": comment or current.comment,
        }
    )
    event = ev.TicketRated(
        ticket=ticket,
        actor=actor,
        score=score,
        previous_score=current.score,
        comment=updated.comment,
    )
    await uow.add_audit(
        [AuditEntry(ticket.id, actor, "rated", {"score": score, "previous": current.score})]
    )
    if first:
        contact = await uow.get_contact(ticket.contact_id)
        lang = notices.language_of(ticket, contact, rating.THANKS)
        thanks = c.AddReply(
            actor=BOT, ticket_id=ticket.id, text=rating.THANKS[lang], reason="rating"
        )
        outcome = await add_message(uow, ticket, thanks, automatic=True, also={"rating": updated})
        event.ticket = outcome.reply.ticket or ticket
        return [*map(event_entry, outcome.events), *outcome.outbound, event_entry(event)]
    after = await service_levels.stamped(uow, ticket, rules.changed(ticket, rating=updated))
    await uow.update_ticket(after)
    event.ticket = after
    return [event_entry(event)]


async def _commented(uow: UnitOfWork, msg: InboundMessage) -> list[OutboxEntry] | None:
    """The customer's words right after rating are the rating's comment (the resolved ticket
    stays resolved); None when this message is not one."""
    if msg.choice or not msg.text.strip():
        return None
    found = await service_levels.levels(uow)
    if not any(d.csat for d in found.departments.values()):
        return None  # nobody rates: no lookup on the way of every message
    ticket = await uow.live_ticket(rules.thread_key(msg.channel, msg.account, msg.thread_key))
    if ticket is None or ticket.status != "resolved" or ticket.rating is None:
        return None
    if not ticket.rating.comment_open or not rating.open_for(ticket.rating, utcnow()):
        return None
    if await uow.message_by_dedupe(msg.dedupe_key):
        return []
    contact = await uow.get_contact(ticket.contact_id)
    if contact is None:
        return None
    message = rules.inbound_message(msg, ticket, contact)
    await uow.insert_message(message, dedupe_key=msg.dedupe_key)
    await uow.index_search(ticket.id, message.id, msg.text)
    updated = ticket.rating.model_copy(update={"comment": msg.text[:4000], "comment_open": False})
    after = await service_levels.stamped(uow, ticket, rules.changed(ticket, rating=updated))
    await uow.update_ticket(after)
    score = updated.score or 0
    await uow.add_audit([AuditEntry(ticket.id, contact.id, "rating.comment", {})])
    events: list[ev.Event] = [ev.MessageCreated(ticket=after, message=message)]
    if score:
        events.append(
            ev.TicketRated(
                ticket=after,
                actor=contact.id,
                score=score,
                previous_score=score,
                comment=updated.comment,
            )
        )
    return [event_entry(e) for e in events]


async def on_status(uow: UnitOfWork, cmd: c.SetStatus) -> Outcome:
    """A status change; a resolution its department rates asks the customer, in the channel
    the conversation is on (buttons 1-5; links in email, drawn by the email adapter)."""
    outcome = await commands.on_status(uow, cmd)
    ticket = outcome.reply.ticket
    if cmd.status != "resolved" or ticket is None or not outcome.events:
        return outcome
    department = (await service_levels.levels(uow)).departments.get(ticket.department or "")
    if not rating.askable(ticket, department):
        return outcome
    contact = await uow.get_contact(ticket.contact_id)
    lang = notices.language_of(ticket, contact, rating.QUESTION)
    question = c.AddReply(
        actor=BOT,
        ticket_id=ticket.id,
        text=rating.QUESTION[lang].format(number=ticket.number),
        buttons=rating.buttons(ticket.id),
        reason="satisfaction",
    )
    asked = await add_message(
        uow, ticket, question, automatic=True, also={"rating": Rating(asked_at=utcnow())}
    )
    return Outcome(asked.reply, [*outcome.events, *asked.events], asked.outbound)


async def on_rate(uow: UnitOfWork, cmd: c.RateTicket) -> Outcome:
    """A rating from a signed email link (or the API on the customer's behalf)."""
    ticket = await commands.ticket_of(uow, cmd)
    if ticket.rating is None or not rating.open_for(ticket.rating, utcnow()):
        raise Invalid("this ticket is not waiting for a rating (or the 24 hours are over)", "score")
    staged = await rate(uow, ticket, cmd.score, cmd.comment, actor=cmd.actor)
    after = await uow.get_ticket(ticket.id)
    return Outcome(c.CommandOk(ticket=after), [], staged)


CONVERSATION_HANDLERS: dict[type[Any], Handler] = {c.SetStatus: on_status, c.RateTicket: on_rate}
