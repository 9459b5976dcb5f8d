"""How tickets, messages and contacts look on the bus (snapshots carried by events). Pure."""

from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.base import BusModel
from contracts.channels import Channel
from contracts.messages import Attachment, DeliveryStatus

Status = Literal["open", "pending", "resolved", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
Direction = Literal["inbound", "outbound", "note"]
Target = Literal["first_response", "next_response", "resolution"]
TARGETS: tuple[Target, ...] = ("first_response", "next_response", "resolution")
# Tags the email channel gives mail written by machines: shown to agents, never raised in
# priority, never acknowledged or asked for a rating (two desks would answer each other).
MACHINE_MAIL = frozenset({"auto-reply", "bounce", "bulk"})
# Authors of outbound messages that are not a person answering: the bot's menus and rating
# questions, the router's acknowledgements and follow-ups, the system, the CLI. Reports do
# not count them as responses; the portal sends no reply notice for them.
MACHINE_AUTHORS = frozenset({"bot", "router", "system", "cli"})
STATUSES: tuple[Status, ...] = ("open", "pending", "resolved", "closed")
PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high", "urgent")


class ContactView(BusModel):
    """One person across channels."""

    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    timezone: str | None = Field(
        default=None, description="IANA name or UTC offset ('+03:00'), from the channel or an agent"
    )
    identities: list[str] = Field(default_factory=list, description="`<channel>:<user id>`")
    refused: list[str] = Field(
        default_factory=list,
        description="Identities whose owner turned off messages from us there (VK's "
        "message_deny): replies to them fail at once with that reason",
    )


class SlaClock(BusModel):
    """One target's clock. It runs from `since` with `spent` already used; while the ticket
    waits on the customer it is paused (`since` and `due_at` None); it stops at `done_at`."""

    target: Target
    minutes: int
    spent_seconds: float = 0.0
    since: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    warned: bool = False
    breached: bool = False
    done_at: AwareDatetime | None = None


class SlaState(BusModel):
    """The SLA a ticket is held to, and its clocks; counted in `calendar`'s department."""

    policy_id: str
    policy_name: str
    calendar: str | None = None
    warning_minutes: int = 15
    clocks: list[SlaClock] = Field(default_factory=list)

    def clock(self, target: Target) -> SlaClock | None:
        return next((c for c in self.clocks if c.target == target), None)


class MenuState(BusModel):
    """Where a ticket's customer is in the menu, and the path they took."""

    open: bool = True
    path: list[str] = Field(default_factory=list, description="Node ids chosen, in order")
    titles: list[str] = Field(default_factory=list, description="Their titles, as shown")
    outcome: Literal["handed_over", "answered", "typed"] | None = None
    closed_at: AwareDatetime | None = None


class Rating(BusModel):
    """The satisfaction question of one resolution, and the customer's answer."""

    asked_at: AwareDatetime
    score: int | None = Field(default=None, ge=1, le=5)
    rated_at: AwareDatetime | None = None
    comment: str | None = Field(default=None, max_length=4000)
    comment_open: bool = Field(default=False, description="Their next text is the comment")


class TicketView(BusModel):
    """A ticket as every service sees it; `version` increases with each change."""

    id: str
    number: int = Field(ge=1)
    subject: str = ""
    status: Status = "open"
    priority: Priority = "normal"
    department: str | None = None
    assignee: str | None = None
    channel: Channel
    account: str
    thread_key: str
    contact_id: str
    tags: list[str] = Field(default_factory=list)
    cc: list[str] = Field(
        default_factory=list, description="Addresses the customer copied (email), copied back"
    )
    previous_ticket_id: str | None = Field(default=None, description="The closed ticket before")
    split_from: str | None = Field(default=None, description="Ticket this one was split from")
    merged_into: str | None = None
    own_thread: bool = Field(
        default=False,
        description="Opened by an agent beside the conversation's live ticket: replies go to "
        "the same chat, the customer's next message to the live ticket",
    )
    first_response_at: AwareDatetime | None = None
    assigned_at: AwareDatetime | None = None
    last_agent_reply_at: AwareDatetime | None = None
    language: str | None = Field(default=None, description="The customer's, when known")
    last_inbound_at: AwareDatetime | None = None
    status_since: AwareDatetime | None = Field(
        default=None, description="When the status last changed (follow-ups count from it)"
    )
    sla: SlaState | None = Field(default=None, description="The SLA held to, with its clocks")
    timer_at: AwareDatetime | None = Field(
        default=None,
        description="When the earliest SLA warning or breach, or follow-up, falls due: what "
        "the router's sweep looks for",
    )
    acknowledged_at: AwareDatetime | None = Field(
        default=None, description="When the customer was told their ticket number (once)"
    )
    reminded_at: AwareDatetime | None = Field(
        default=None, description="When the customer was last reminded of a pending ticket"
    )
    escalated_at: AwareDatetime | None = Field(
        default=None, description="When an agent escalated it to a supervisor"
    )
    menu: MenuState | None = Field(
        default=None, description="The bot menu: open while the customer chooses; the path"
    )
    rating: Rating | None = Field(default=None, description="Satisfaction, per resolution")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: int = Field(ge=1)


class MessageView(BusModel):
    """One message of a conversation."""

    id: str
    ticket_id: str
    direction: Direction
    text: str = ""
    html: str | None = None
    author: str | None = Field(default=None, description="Agent id, or contact id for inbound")
    attachments: list[Attachment] = Field(default_factory=list)
    external_id: str | None = None
    delivery_status: DeliveryStatus | None = None
    delivery_reason: str | None = None
    edited: bool = False
    folded_from: int | None = Field(
        default=None, description="Where quoted history or a signature begins in `text`"
    )
    page: str | None = Field(
        default=None, description="The web page the customer wrote this from (web chat)"
    )
    raw_ref: str | None = Field(
        default=None, description="The original as received (an email's source), a file ref"
    )
    created_at: AwareDatetime
