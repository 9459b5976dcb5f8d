"""The ticket domain: threads, lifecycle, versions, delivery states. Pure, no I/O."""

from datetime import datetime
from typing import Any, Literal

from contracts import messages
from contracts.base import new_id, utcnow
from contracts.commands import CreateTicket
from contracts.messages import DeliveryReport, InboundMessage, Sender
from contracts.tickets import ContactView, MessageView, TicketView
from services.store.errors import Conflict, Forbidden, Invalid

SUBJECT_LENGTH = 120
# A report never moves a message backwards: "read" then a late "sent" stays "read".
_DELIVERY_RANK = {None: 0, "failed": 1, "sent": 2, "delivered": 3, "read": 4}


def thread_of(ticket: TicketView) -> str:
    """The key that at most one live (not closed) ticket holds. A split ticket, or one an agent
    opened beside the thread's live ticket, has its own, so the customer's next message still
    goes to the ticket the thread belongs to."""
    base = thread_key(ticket.channel, ticket.account, ticket.thread_key)
    return f"{base}#{ticket.id}" if ticket.split_from or ticket.own_thread else base


def thread_key(channel: str, account: str, key: str) -> str:
    return f"{channel}:{account}:{key}"


def platform_key(channel: str, account: str, external_id: str) -> str:
    """How a platform names one message (see `contracts.messages.platform_key`)."""
    return messages.platform_key(channel, account, external_id)


def identity(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


def subject_from(msg: InboundMessage) -> str:
    """The email subject, or the first line of the text (what agents see in the list)."""
    if msg.subject and msg.subject.strip():
        return msg.subject.strip()[:SUBJECT_LENGTH]
    first = next((line.strip() for line in msg.text.splitlines() if line.strip()), "")
    if not first and msg.attachments:
        first = msg.attachments[0].name
    return first[:SUBJECT_LENGTH]


Decision = Literal["append", "reopen", "create"]
WAITING = ("open", "pending")


def decide(live: TicketView | None) -> Decision:
    """What a new customer message does to its thread: a resolved ticket is reopened, an
    open or pending one gets the message, otherwise (none, or closed) a new ticket starts."""
    if live is None:
        return "create"
    return "reopen" if live.status == "resolved" else "append"


def changed(ticket: TicketView, at: datetime | None = None, **updates: Any) -> TicketView:
    """A new version of `ticket` with `updates` applied."""
    return ticket.model_copy(
        update={**updates, "version": ticket.version + 1, "updated_at": at or utcnow()}
    )


def check_version(ticket: TicketView, expected: int | None) -> None:
    if expected is not None and expected != ticket.version:
        raise Conflict(
            f"ticket {ticket.number} changed (version {ticket.version}, you saw {expected})",
            field="expected_version",
        )


def check_waiting(ticket: TicketView, department: str) -> None:
    """The router's claim holds only while nobody took the ticket, moved it or closed it."""
    if ticket.assignee or ticket.department != department or ticket.status not in WAITING:
        raise Conflict(
            f"ticket {ticket.number} no longer waits in {department}", field="if_waiting_in"
        )


def new_ticket(msg: InboundMessage, contact: ContactView, number: int) -> TicketView:
    now = utcnow()
    return TicketView(
        id=new_id(),
        number=number,
        subject=subject_from(msg),
        channel=msg.channel,
        account=msg.account,
        thread_key=msg.thread_key,
        contact_id=contact.id,
        tags=sorted(set(msg.tags)),
        cc=msg.cc,
        language=msg.sender.language or contact.language,
        last_inbound_at=msg.received_at,
        created_at=now,
        updated_at=now,
        version=1,
    )


def labels_added(ticket: TicketView, msg: InboundMessage) -> dict[str, Any]:
    """The tags and copied addresses a message adds to the ticket it joins."""
    updates: dict[str, Any] = {}
    if tags := sorted(set(msg.tags) - set(ticket.tags)):
        updates["tags"] = [*ticket.tags, *tags]
    if cc := [a for a in msg.cc if a not in ticket.cc]:
        updates["cc"] = [*ticket.cc, *cc]
    return updates


def new_contact(msg: InboundMessage) -> ContactView:
    return contact_of(msg.channel, msg.sender)


def contact_of(channel: str, s: Sender) -> ContactView:
    return ContactView(
        id=new_id(),
        name=s.display_name or s.username,
        email=s.email,
        phone=s.phone,
        language=s.language,
        timezone=s.timezone,
        identities=[identity(channel, s.channel_user_id)],
    )


def opened_ticket(
    cmd: CreateTicket, thread_key: str, contact: ContactView, number: int, beside: bool
) -> TicketView:
    """A ticket an agent opens; `beside` a live ticket of the same thread, it keeps a thread
    of its own (see `thread_of`)."""
    now = utcnow()
    return TicketView(
        id=new_id(),
        number=number,
        subject=(cmd.subject.strip() or cmd.text.strip().splitlines()[0])[:SUBJECT_LENGTH],
        department=cmd.department,
        priority=cmd.priority,
        channel=cmd.channel,
        account=cmd.account,
        thread_key=thread_key,
        contact_id=contact.id,
        own_thread=beside,
        language=cmd.sender.language or contact.language,
        created_at=now,
        updated_at=now,
        version=1,
    )


def check_scope(
    department: str | None, departments: list[str] | None, what: str, field: str | None = None
) -> None:
    """An agent acts only within their departments (None: on every one)."""
    if departments is not None and department not in departments:
        raise Forbidden(f"{what} is outside your departments", field)


def answered(conversation: list[MessageView]) -> str | None:
    """The platform id of the customer's latest message: what a reply answers."""
    return next((m.external_id for m in reversed(conversation) if m.direction == "inbound"), None)


def references(conversation: list[MessageView], limit: int = 20) -> list[str]:
    """Platform ids of the conversation, oldest first; the first and the latest ones when
    it is long (email keeps the root and the recent ancestors in `References`)."""
    ids = [m.external_id for m in conversation if m.external_id and m.direction != "note"]
    return ids if len(ids) <= limit else [ids[0], *ids[-(limit - 1) :]]


def enrich_contact(contact: ContactView, msg: InboundMessage) -> ContactView | None:
    """Fill what the contact lacks from what this message tells; None when nothing new."""
    s = msg.sender
    updates = {
        k: v
        for k, v in {
            "name": s.display_name or s.username,
            "email": s.email,
            "phone": s.phone,
            "language": s.language,
            "timezone": s.timezone,
        }.items()
        if v and not getattr(contact, k)
    }
    return contact.model_copy(update=updates) if updates else None


def inbound_message(msg: InboundMessage, ticket: TicketView, contact: ContactView) -> MessageView:
    return MessageView(
        id=msg.id,
        ticket_id=ticket.id,
        direction="inbound",
        text=msg.text,
        html=msg.html,
        author=contact.id,
        attachments=msg.attachments,
        external_id=msg.external_id,
        folded_from=msg.folded_from,
        raw_ref=msg.raw_ref,
        page=msg.sender.page,
        created_at=msg.received_at,
    )


def search_text(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def apply_delivery(message: MessageView, report: DeliveryReport) -> MessageView | None:
    """The message after `report`, or None when the report changes nothing."""
    current = _DELIVERY_RANK[message.delivery_status]
    new = _DELIVERY_RANK[report.status]
    if report.status == "failed" and message.delivery_status in (None, "failed"):
        new = current + 1
    if report.bounced and message.delivery_status in ("sent", "delivered"):
        new = current + 1
    if new <= current:
        return None
    return message.model_copy(
        update={
            "delivery_status": report.status,
            "delivery_reason": report.reason if report.status == "failed" else None,
            "external_id": report.external_id or message.external_id,
        }
    )


def split_check(ticket: TicketView, messages: list[MessageView], ids: list[str]) -> None:
    own = {m.id for m in messages}
    foreign = [i for i in ids if i not in own]
    if foreign:
        raise Invalid(f"messages not in ticket {ticket.number}: {foreign}", "message_ids")
    if len(set(ids)) == len(own):
        raise Invalid("a split must leave at least one message behind", "message_ids")


def merge_check(source: TicketView, target: TicketView) -> None:
    if source.id == target.id:
        raise Invalid("a ticket cannot be merged into itself", "into")
    if target.merged_into:
        raise Invalid(f"ticket {target.number} was itself merged away", "into")
    if source.merged_into:
        raise Invalid(f"ticket {source.number} is already merged", "ticket_id")
