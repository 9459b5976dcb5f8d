"""Events into report rows. Pure.

Each ticket keeps a small running account: how much working time (its department's calendar)
and wall time it has been open, counted only while it waits on us (status `open`): pending on
the customer, resolved and closed stop the count; a transfer counts on in the new department's
calendar; a reopened ticket goes on from what it had. The first agent answer and each
resolution become timing rows with those totals; messages and new tickets become volume
counts in 15-minute buckets (every time zone's hours and days are whole buckets of them);
SLA targets met or missed, ratings asked and given become their own rows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from contracts.service_levels import BusinessCalendar
from contracts.tickets import MACHINE_AUTHORS
from services.sla import business_hours as bh

BUCKET = 900  # seconds: a quarter of an hour


class _Slim(BaseModel):
    """What reports read of an event, nothing more: validating the whole event (the ticket
    snapshot, every message field) was two thirds of the cost of folding it."""

    model_config = ConfigDict(extra="ignore")


class Clock(_Slim):
    target: str
    breached: bool = False


class Sla(_Slim):
    clocks: list[Clock] = []


class Asked(_Slim):
    asked_at: datetime


class Ticket(_Slim):
    id: str
    channel: str
    created_at: datetime
    department: str | None = None
    assignee: str | None = None
    status: str = "open"
    sla: Sla | None = None
    rating: Asked | None = None
    hidden: bool = False

    def clock(self, target: str) -> Clock | None:
        return next((c for c in self.sla.clocks if c.target == target), None) if self.sla else None


class Message(_Slim):
    direction: str
    author: str | None = None


class Fact(_Slim):
    """An event of the EVENTS stream, as reports read it (`directory.changed` has no ticket)."""

    type: str
    at: datetime | None = None  # `directory.changed` has none
    ticket: Ticket | None = None
    message: Message | None = None
    score: int | None = None


def read(data: bytes | str) -> Fact:
    return Fact.model_validate_json(data)


Calendars = Callable[[str | None], BusinessCalendar]


@dataclass
class Account:
    """One ticket's running totals (kept between events)."""

    id: str
    channel: str
    created: float
    since: float
    status: str
    department: str | None = None
    assignee: str | None = None
    business: float = 0.0
    wall: float = 0.0
    responded: bool = False
    counted: bool = False
    asked: list[str] = field(default_factory=list)
    # Buckets of customer messages written before the ticket had a department (its first
    # message comes before the route; a bot menu's choices too): counted once it has one.
    unrouted: list[int] = field(default_factory=list)
    n: int = 0  # its row in the tables' `accounts`, once written
    stored_status: str = ""  # its status there: an index on it is rewritten only if it changed


@dataclass(frozen=True)
class Volume:
    bucket: int
    channel: str
    department: str
    agent: str
    kind: str  # "new", "inbound", "outbound"


@dataclass(frozen=True)
class Timing:
    ticket_id: str
    kind: str  # "first_response", "resolution"
    at: float
    channel: str
    department: str
    agent: str
    wall: float
    business: float


@dataclass(frozen=True)
class SlaOutcome:
    ticket_id: str
    target: str
    at: float
    department: str
    agent: str
    met: bool
    channel: str  # last: the column was added to the table later


@dataclass(frozen=True)
class RatingRow:
    ticket_id: str
    asked_at: str
    at: float
    channel: str
    department: str
    agent: str
    score: int | None


Row = Volume | Timing | SlaOutcome | RatingRow


def bucket(ts: float) -> int:
    return int(ts // BUCKET) * BUCKET


def _ts(at: datetime) -> float:
    return at.timestamp()


def advance(account: Account, at: float, calendars: Calendars) -> None:
    """Count the time since the last event, if the ticket was waiting on us."""
    if at <= account.since:
        return
    if account.status == "open":
        calendar = calendars(account.department)
        if calendar.always_open:
            account.business += at - account.since
        else:
            start = datetime.fromtimestamp(account.since, UTC)
            end = datetime.fromtimestamp(at, UTC)
            account.business += bh.between(calendar, start, end).total_seconds()
        account.wall += at - account.since
    account.since = at


def fold(
    account: Account | None, event: Fact, calendars: Calendars
) -> tuple[Account | None, list[Row]]:
    """The ticket's account after `event`, and the rows the event adds."""
    t = event.ticket
    if t is None or t.hidden or event.at is None:
        return account, []
    at = _ts(event.at)
    rows: list[Row] = []
    if account is None:
        account = Account(t.id, t.channel, _ts(t.created_at), _ts(t.created_at), t.status)
    advance(account, at, calendars)
    was = account.status
    _take(account, t)
    if account.department and not account.counted:
        account.counted = True
        rows.append(Volume(bucket(account.created), t.channel, account.department, "", "new"))
    if account.department and account.unrouted:
        rows += [Volume(b, t.channel, account.department, "", "inbound") for b in account.unrouted]
        account.unrouted = []
    if event.type == "message.created" and event.message is not None:
        rows += _message(account, event.message, t, at)
    if t.status == "resolved" and was != "resolved":
        rows.append(_timing(account, "resolution", at, account.assignee or ""))
        rows += _outcomes(account, t, "resolution", at)
    asked = t.rating.asked_at.isoformat() if t.rating is not None else None
    if asked is not None and asked not in account.asked:
        account.asked.append(asked)
        rows.append(_rating(account, asked, at, None))
    if event.type == "ticket.rated" and asked is not None and event.score is not None:
        rows.append(_rating(account, asked, at, event.score))
    return account, rows


def _take(account: Account, t: Ticket) -> None:
    account.department = t.department
    account.assignee = t.assignee
    account.status = t.status


def _message(account: Account, m: Message, t: Ticket, at: float) -> list[Row]:
    department = account.department or ""
    if m.direction == "inbound":
        if not department:
            account.unrouted.append(bucket(at))
            return []
        return [Volume(bucket(at), t.channel, department, account.assignee or "", "inbound")]
    if m.direction != "outbound" or (m.author or "") in MACHINE_AUTHORS:
        return []
    agent = m.author or ""
    rows: list[Row] = [Volume(bucket(at), t.channel, department, agent, "outbound")]
    if not account.responded:
        account.responded = True
        rows.append(_timing(account, "first_response", at, agent))
        rows += _outcomes(account, t, "first_response", at, agent)
    return rows


def _timing(account: Account, kind: str, at: float, agent: str) -> Timing:
    return Timing(
        account.id, kind, at, account.channel, account.department or "", agent,
        round(account.wall, 3), round(account.business, 3),
    )  # fmt: skip


def _outcomes(
    account: Account, t: Ticket, target: str, at: float, agent: str | None = None
) -> list[Row]:
    clock = t.clock(target)
    if clock is None:
        return []
    who = agent if agent is not None else account.assignee or ""
    return [
        SlaOutcome(
            account.id, target, at, account.department or "", who, not clock.breached,
            account.channel,
        )
    ]  # fmt: skip


def _rating(account: Account, asked: str, at: float, score: int | None) -> RatingRow:
    return RatingRow(
        account.id, asked, at, account.channel,
        account.department or "", account.assignee or "", score,
    )  # fmt: skip
