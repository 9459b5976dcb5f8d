"""Requests to the store on `commands.ticket.<name>` (core request/reply) and its replies. Pure.

Every command names its actor and may carry the ticket version the actor saw: a stale version
is refused with a `conflict` error instead of silently overwriting someone else's change.
"""

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from contracts.base import BusModel
from contracts.channels import Channel
from contracts.messages import Attachment, Button, Sender
from contracts.tickets import MessageView, Priority, Status, TicketView


class _Command(BusModel):
    name: ClassVar[str]
    actor: str = Field(min_length=1, description="Agent id, or 'router' / 'system'")
    reason: str | None = None


class _TicketCommand(_Command):
    ticket_id: str = Field(min_length=1)
    expected_version: int | None = Field(default=None, ge=1)
    departments: list[str] | None = Field(
        default=None,
        description="The acting agent's departments: a ticket outside them is refused as "
        "`forbidden`, checked in the same transaction as the write (None: the router, the "
        "system or an admin, who act on every department)",
    )


class CreateTicket(_Command):
    """A ticket opened from the API (a logged phone call, an e-mail an agent starts)."""

    name: ClassVar[str] = "create"
    command: Literal["create"] = "create"
    channel: Channel
    account: str = Field(min_length=1)
    thread_key: str | None = None
    sender: Sender
    subject: str = ""
    text: str = Field(min_length=1)
    department: str | None = None
    priority: Priority = "normal"
    departments: list[str] | None = Field(
        default=None, description="The acting agent's departments (see `_TicketCommand`)"
    )


class AddReply(_TicketCommand):
    """An agent's answer: stored with an outbox entry in one write, then sent to the channel."""

    name: ClassVar[str] = "reply"
    command: Literal["reply"] = "reply"
    text: str = Field(min_length=1)
    html: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    buttons: list[list[Button]] = Field(default_factory=list)


class AddNote(_TicketCommand):
    """An internal note: stored, never sent to the customer."""

    name: ClassVar[str] = "note"
    command: Literal["note"] = "note"
    text: str = Field(min_length=1)


class AssignTicket(_TicketCommand):
    """Assign to an agent, or unassign with `agent=None`."""

    name: ClassVar[str] = "assign"
    command: Literal["assign"] = "assign"
    agent: str | None
    if_waiting_in: str | None = Field(
        default=None,
        description="Assign only if the ticket still waits unassigned (open or pending) in "
        "this department: the router's claim, which a new customer message does not void "
        "the way it changes the version",
    )


class TransferTicket(_TicketCommand):
    name: ClassVar[str] = "transfer"
    command: Literal["transfer"] = "transfer"
    department: str = Field(min_length=1)


class RouteTicket(_TicketCommand):
    """The router's decision for a new conversation, applied in one write."""

    name: ClassVar[str] = "route"
    command: Literal["route"] = "route"
    department: str = Field(min_length=1)
    priority: Priority | None = None
    tags: list[str] = Field(default_factory=list)


class SetStatus(_TicketCommand):
    name: ClassVar[str] = "status"
    command: Literal["status"] = "status"
    status: Status


class SetPriority(_TicketCommand):
    name: ClassVar[str] = "priority"
    command: Literal["priority"] = "priority"
    priority: Priority


class TagTicket(_TicketCommand):
    name: ClassVar[str] = "tag"
    command: Literal["tag"] = "tag"
    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


class SplitTicket(_TicketCommand):
    """Move the selected messages to a new ticket of the same contact and thread."""

    name: ClassVar[str] = "split"
    command: Literal["split"] = "split"
    message_ids: list[str] = Field(min_length=1)


class MergeTicket(_TicketCommand):
    """Move every message of `ticket_id` into `into`; the source is closed and points there."""

    name: ClassVar[str] = "merge"
    command: Literal["merge"] = "merge"
    into: str = Field(min_length=1)


class FireTimers(_TicketCommand):
    """The router's sweep: fire what fell due on the ticket by `at` (SLA warnings and breaches
    with their escalation, or a follow-up). Each fires once, whichever replica asks first; a
    ticket with nothing due is refused as `conflict`."""

    name: ClassVar[str] = "timers"
    command: Literal["timers"] = "timers"
    at: AwareDatetime


class EscalateTicket(_TicketCommand):
    """An agent hands a difficult conversation to a supervisor of its department (by hand,
    unlike an SLA's escalation): assigned to them, tagged `escalated`, announced."""

    name: ClassVar[str] = "escalate"
    command: Literal["escalate"] = "escalate"
    supervisor: str | None = Field(default=None, description="None: the department's first")


class AcknowledgeTicket(_TicketCommand):
    """Tell a new ticket's customer its number and when to expect an answer, on their own
    channel, once per ticket (a second request changes nothing)."""

    name: ClassVar[str] = "acknowledge"
    command: Literal["acknowledge"] = "acknowledge"


class RateTicket(_TicketCommand):
    """The customer's satisfaction with the ticket's last resolution (a signed email link, or
    the API): once per resolution, changeable for 24 hours after it was asked."""

    name: ClassVar[str] = "rate"
    command: Literal["rate"] = "rate"
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=4000)


class UpdateContact(_Command):
    name: ClassVar[str] = "contact"
    command: Literal["contact"] = "contact"
    contact_id: str = Field(min_length=1)
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    timezone: str | None = Field(default=None, description="IANA name, e.g. Asia/Vladivostok")


Command = Annotated[
    CreateTicket
    | AddReply
    | AddNote
    | AssignTicket
    | TransferTicket
    | RouteTicket
    | SetStatus
    | SetPriority
    | TagTicket
    | SplitTicket
    | MergeTicket
    | FireTimers
    | EscalateTicket
    | AcknowledgeTicket
    | RateTicket
    | UpdateContact,
    Field(discriminator="command"),
]
COMMAND_TYPES: tuple[type[_Command], ...] = (
    CreateTicket,
    AddReply,
    AddNote,
    AssignTicket,
    TransferTicket,
    RouteTicket,
    SetStatus,
    SetPriority,
    TagTicket,
    SplitTicket,
    MergeTicket,
    FireTimers,
    EscalateTicket,
    AcknowledgeTicket,
    RateTicket,
    UpdateContact,
)
COMMAND = TypeAdapter[Command](Command)

ErrorCode = Literal["invalid", "not_found", "conflict", "forbidden", "internal"]


class CommandOk(BusModel):
    ok: Literal[True] = True
    ticket: TicketView | None = None
    message: MessageView | None = None
    related: list[TicketView] = Field(default_factory=list)


class CommandError(BusModel):
    """A typed refusal: callers map `code` to HTTP (invalid 422, not_found 404, conflict 409)."""

    ok: Literal[False] = False
    code: ErrorCode
    message: str
    field: str | None = None


CommandReply = Annotated[CommandOk | CommandError, Field(discriminator="ok")]
COMMAND_REPLY = TypeAdapter[CommandReply](CommandReply)


class CommandBatch(BusModel):
    """Several commands in one request on `commands.batch`, applied in order, each on its own
    (one failing does not stop the others). The router sends its decisions this way."""

    commands: list[Command] = Field(min_length=1, max_length=1000)


class CommandBatchReply(BusModel):
    replies: list[CommandReply]
