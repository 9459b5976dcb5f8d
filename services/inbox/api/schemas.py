"""The shapes of the REST API v1: what agents and the web UI send and receive.

They are not the bus models: the API is a public surface of its own (DESIGN §6), so a ticket
here embeds its contact and names its assignee plainly, and bus-only fields stay inside.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.channels import Channel
from contracts.directory import AgentView, Role
from contracts.messages import Attachment, DeliveryStatus
from contracts.presence import PresenceStatus
from contracts.tickets import (
    ContactView,
    Direction,
    MenuState,
    MessageView,
    Priority,
    Rating,
    SlaState,
    Status,
    TicketView,
)
from services.sla import notices


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactOut(BaseModel):
    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    timezone: str | None = Field(default=None, description="IANA name or UTC offset")
    identities: list[str] = Field(default_factory=list)
    refused: list[str] = Field(
        default_factory=list, description="Identities that turned off messages from us"
    )


class TicketOut(BaseModel):
    id: str
    number: int
    subject: str
    status: Status
    priority: Priority
    channel: Channel
    account: str
    department: str | None
    assignee: str | None = Field(description="Agent id; null when unassigned")
    contact: ContactOut
    tags: list[str]
    cc: list[str] = Field(default_factory=list, description="Addresses copied on replies (email)")
    language: str | None = None
    merged_into: str | None = None
    split_from: str | None = None
    previous_ticket_id: str | None = None
    first_response_at: datetime | None = None
    last_inbound_at: datetime | None = None
    sla: SlaState | None = Field(
        default=None, description="The SLA held to: each target's clock, due time and marks"
    )
    timer_at: datetime | None = Field(
        default=None, description="The next SLA warning, breach or follow-up"
    )
    status_since: datetime | None = None
    acknowledged_at: datetime | None = None
    escalated_at: datetime | None = None
    menu: MenuState | None = Field(default=None, description="The bot menu path the customer took")
    rating: Rating | None = Field(default=None, description="Satisfaction with the resolution")
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Send it back as `version` to refuse stale changes (409)")


class MessageOut(BaseModel):
    id: str
    direction: Direction
    text: str
    html: str | None = Field(description="Sanitized when it came from a customer")
    author: str | None
    attachments: list[Attachment]
    delivery_status: DeliveryStatus | None
    delivery_reason: str | None = None
    edited: bool = False
    folded_from: int | None = Field(
        None, description="Where quoted history or a signature begins in `text` (email)"
    )
    raw_ref: str | None = Field(
        None, description="The original as received: GET /tickets/{id}/files/<sha256>"
    )
    page: str | None = Field(None, description="The web page the customer wrote from (web chat)")
    created_at: datetime


class TicketFull(TicketOut):
    messages: list[MessageOut]


class TicketList(BaseModel):
    items: list[TicketOut]
    next_cursor: str | None


class AuditOut(BaseModel):
    actor: str
    action: str
    detail: dict[str, object]
    at: datetime


class AuditList(BaseModel):
    items: list[AuditOut]


class Login(RequestBody):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class AgentOut(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    departments: list[str]
    languages: list[str]
    capacity: int
    active: bool
    tour_done: bool = Field(False, description="The first-run tour was dismissed for good")


class Session(BaseModel):
    token: str
    expires_at: datetime
    agent: AgentOut


class PresenceIn(RequestBody):
    status: PresenceStatus


class TourIn(RequestBody):
    done: bool = Field(description="True: never show the first-run tour again")


class PresenceOut(BaseModel):
    agent: str
    status: PresenceStatus


class NewContact(RequestBody):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    channel_user_id: str | None = Field(
        default=None, min_length=1, description="Default: the email (email) or the phone"
    )


class NewTicket(RequestBody):
    contact: NewContact
    channel: Channel = "email"
    account: str = Field(default="api", min_length=1, max_length=200)
    subject: str = Field(default="", max_length=1000)
    text: str = Field(min_length=1, max_length=100_000)
    department: str | None = Field(default=None, description="Default: the agent's first")
    priority: Priority = "normal"


class _Change(RequestBody):
    version: int | None = Field(default=None, ge=1, description="The version you saw")


class NewMessage(_Change):
    text: str = Field(default="", max_length=100_000)
    internal: bool = Field(default=False, description="An internal note, never sent")
    template: str | None = Field(default=None, description="Reply template id to send")
    attachments: list["Upload"] = Field(
        default_factory=list, max_length=20, description="As returned by POST /api/v1/files"
    )


class AssignIn(_Change):
    agent: str | None = Field(description="Agent id, 'me', or null to unassign")


class TransferIn(_Change):
    department: str = Field(min_length=1)


class StatusIn(_Change):
    status: Status


class EscalateIn(_Change):
    reason: str = Field(min_length=1, max_length=2000, description="Why, for the supervisor")
    supervisor: str | None = Field(default=None, description="None: the department's first")


class ContactIn(RequestBody):
    """Only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    language: str | None = Field(default=None, max_length=20)
    timezone: str | None = Field(default=None, description="IANA name, e.g. Asia/Vladivostok")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and notices.zone(value) is None:
            raise ValueError(f"unknown time zone {value!r}")
        return value


class PriorityIn(_Change):
    priority: Priority


class TagsIn(_Change):
    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


class SplitIn(_Change):
    message_ids: list[str] = Field(min_length=1, max_length=1000)


class MergeIn(_Change):
    into: str = Field(min_length=1)


class ChangeResult(BaseModel):
    ticket: TicketOut
    message: MessageOut | None = None
    related: list[TicketOut] = Field(default_factory=list)


class QueueReport(BaseModel):
    by_status: dict[str, dict[str, int]]
    unassigned: dict[str, int]


class Problem(BaseModel):
    """Every error body: what went wrong, and for invalid input which field."""

    detail: str | list[dict[str, object]]
    field: str | None = None


Format = Literal["json", "csv"]


def full_ticket_json(detail: dict[str, Any]) -> dict[str, Any]:
    """`TicketFull` data straight from the store's answer, field by field, without building a
    model per message (a 500-message conversation would spend most of its time there)."""
    ticket = detail["ticket"]
    contact = detail.get("contact") or {"id": ticket["contact_id"]}
    out = {name: ticket.get(name) for name in TicketOut.model_fields if name != "contact"}
    out["contact"] = {name: contact.get(name) for name in ContactOut.model_fields}
    out["contact"]["identities"] = contact.get("identities") or []
    out["messages"] = [
        {name: message.get(name) for name in MessageOut.model_fields}
        for message in detail["messages"]
    ]
    return out


def contact_out(contact: ContactView | None, contact_id: str) -> ContactOut:
    if contact is None:
        return ContactOut(id=contact_id)
    return ContactOut.model_validate(contact.model_dump())


def ticket_out(ticket: TicketView, contact: ContactView | None = None) -> TicketOut:
    data = ticket.model_dump()
    data["contact"] = contact_out(contact, ticket.contact_id)
    return TicketOut.model_validate(data)


def message_out(message: MessageView) -> MessageOut:
    return MessageOut.model_validate(message.model_dump())


def agent_out(agent: AgentView) -> AgentOut:
    return AgentOut.model_validate(agent.model_dump())


class Upload(Attachment):
    """A file as POST /api/v1/files returns it: the attachment and the uploader's receipt,
    which attaching it to a reply requires (unless the ticket already carries the file)."""

    receipt: str | None = None

    def attachment(self) -> Attachment:
        return Attachment.model_validate(self.model_dump(exclude={"receipt"}))


NewMessage.model_rebuild()
