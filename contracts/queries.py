"""Reads the inbox asks of the store on `queries.ticket.<name>` (request/reply). Pure.

`departments` restricts every read to what the asking agent may see (None: everything);
the inbox fills it from the agent's role, so the store never returns a forbidden ticket.
"""

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from contracts.base import BusModel
from contracts.channels import Channel
from contracts.tickets import ContactView, MessageView, Status, TicketView


class _Query(BusModel):
    name: ClassVar[str]
    departments: list[str] | None = None


class ListTickets(_Query):
    """A queue page, newest activity first; `assignee="none"` means unassigned."""

    name: ClassVar[str] = "list"
    status: list[Status] | None = None
    department: str | None = None
    assignee: str | None = None
    channel: Channel | None = None
    tag: str | None = None
    contact_id: str | None = None
    thread: str | None = Field(
        default=None, description="A conversation: `<channel>:<account>:<thread key>`"
    )
    number: int | None = Field(default=None, ge=1, description="The ticket with this number")
    contact_email: str | None = Field(
        default=None,
        max_length=320,
        description="Every channel's tickets of the customers with this email address: as their "
        "mail identity or as the address on their contact (a web chat visitor who gave it)",
    )
    q: str | None = Field(
        default=None,
        max_length=200,
        description="Full text: subject, body, contact (at most 8 distinct words count)",
    )
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    timer_before: AwareDatetime | None = Field(
        default=None,
        description="Only tickets with an SLA warning, breach or follow-up due by then",
    )
    order: Literal["recent", "queue"] = Field(
        default="recent",
        description="recent: newest activity first (pages with `cursor`); queue: most urgent, "
        "then oldest first (the order a department queue is worked in; first page only)",
    )
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=500)
    with_contacts: bool = Field(default=False, description="Also return the page's contacts")


class GetTicket(_Query):
    name: ClassVar[str] = "get"
    ticket_id: str = Field(min_length=1)
    messages: bool = Field(
        default=True, description="False: the ticket and its contact alone, no conversation"
    )


class GetAudit(_Query):
    """A ticket's audit trail: who changed what, and why."""

    name: ClassVar[str] = "audit"
    ticket_id: str = Field(min_length=1)


class AuditRecord(BusModel):
    actor: str
    action: str
    detail: dict[str, object] = Field(default_factory=dict)
    at: AwareDatetime


class AuditTrail(BusModel):
    entries: list[AuditRecord]


class QueueCounts(_Query):
    name: ClassVar[str] = "counts"


class TicketPage(BusModel):
    items: list[TicketView]
    next_cursor: str | None = None
    contacts: list[ContactView] = Field(default_factory=list)


class TicketDetail(BusModel):
    ticket: TicketView
    contact: ContactView | None
    messages: list[MessageView]


class Counts(BusModel):
    """Open tickets per department and status, and unassigned ones per department."""

    by_status: dict[str, dict[str, int]] = Field(default_factory=dict)
    unassigned: dict[str, int] = Field(default_factory=dict)


class QueryError(BusModel):
    ok: Literal[False] = False
    code: Literal["invalid", "not_found", "internal"]
    message: str


Answer = TicketPage | TicketDetail | Counts | AuditTrail | QueryError
