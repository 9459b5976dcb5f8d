"""Facts the store publishes after a commit, on `events.ticket.*` and `events.message.*`. Pure.

Each event carries the ticket's snapshot, so consumers (router, inbox stream) filter by
department and render without a round trip to the store.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from contracts.base import BusModel, new_id, utcnow
from contracts.directory import DirectoryChanged
from contracts.tickets import ContactView, MessageView, Target, TicketView


class _TicketEvent(BusModel):
    id: str = Field(default_factory=new_id)
    ticket: TicketView
    actor: str | None = Field(default=None, description="Agent id, 'router', or None (system)")
    reason: str | None = None
    at: AwareDatetime = Field(default_factory=utcnow)


class TicketCreated(_TicketEvent):
    """Carries what routing needs: the first message and the customer's own choices."""

    type: Literal["ticket.created"] = "ticket.created"
    contact: ContactView | None = None
    first_message: MessageView | None = None
    recipient: str | None = None
    department_hint: str | None = None


class TicketReopened(_TicketEvent):
    type: Literal["ticket.reopened"] = "ticket.reopened"


class TicketAssigned(_TicketEvent):
    """Also published when a ticket is unassigned (`ticket.assignee` is then None)."""

    type: Literal["ticket.assigned"] = "ticket.assigned"
    previous_assignee: str | None = None


class TicketTransferred(_TicketEvent):
    type: Literal["ticket.transferred"] = "ticket.transferred"
    previous_department: str | None = None
    previous_assignee: str | None = None


class TicketChanged(_TicketEvent):
    """Status, priority, tags or contact changed; `fields` names what."""

    type: Literal["ticket.changed"] = "ticket.changed"
    fields: list[str]


class TicketSplit(_TicketEvent):
    """`ticket` is the new ticket; `source_ticket_id` the one the messages came from."""

    type: Literal["ticket.split"] = "ticket.split"
    source_ticket_id: str
    message_ids: list[str]


class TicketMerged(_TicketEvent):
    """`ticket` is the ticket merged away; `into` the one that now holds its history."""

    type: Literal["ticket.merged"] = "ticket.merged"
    into: TicketView


class MessageCreated(_TicketEvent):
    type: Literal["message.created"] = "message.created"
    message: MessageView


class MessageUpdated(_TicketEvent):
    """Delivery status changed, or the customer edited the message."""

    type: Literal["message.updated"] = "message.updated"
    message: MessageView


class SlaWarning(_TicketEvent):
    """A target falls due soon (the policy's `warning_minutes` before `due_at`)."""

    type: Literal["sla.warning"] = "sla.warning"
    target: Target
    due_at: AwareDatetime


class SlaBreached(_TicketEvent):
    """A target was missed; `escalation` says what the policy did about it."""

    type: Literal["sla.breached"] = "sla.breached"
    target: Target
    due_at: AwareDatetime
    escalation: list[str] = Field(default_factory=list)


class TicketEscalated(_TicketEvent):
    """An agent escalated the ticket to a supervisor (by hand)."""

    type: Literal["ticket.escalated"] = "ticket.escalated"
    supervisor: str | None = None


class MenuCompleted(_TicketEvent):
    """The customer left the bot menu for a person (a leaf, "talk to a person", or their own
    words): routed now like a new ticket, with the path on `ticket.menu`."""

    type: Literal["ticket.menu_completed"] = "ticket.menu_completed"
    contact: ContactView | None = None
    first_message: MessageView | None = None
    department_hint: str | None = None


class TicketRated(_TicketEvent):
    """The customer rated the resolution (or changed the rating, or commented on it)."""

    type: Literal["ticket.rated"] = "ticket.rated"
    score: int = Field(ge=1, le=5)
    previous_score: int | None = None
    comment: str | None = None


Event = Annotated[
    TicketCreated
    | TicketReopened
    | TicketAssigned
    | TicketTransferred
    | TicketChanged
    | TicketSplit
    | TicketMerged
    | MessageCreated
    | MessageUpdated
    | SlaWarning
    | SlaBreached
    | TicketEscalated
    | MenuCompleted
    | TicketRated
    | DirectoryChanged,
    Field(discriminator="type"),
]
_EVENT = TypeAdapter[Event](Event)


def parse_event(data: bytes | str) -> Event:
    """Parse any event from its JSON form, choosing the model by its `type`."""
    return _EVENT.validate_json(data)
