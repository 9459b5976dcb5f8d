"""A seeded event history with figures worked out by hand (see the comments), shared by the
reports tests: the fold on its own and the service on real NATS with a rebuild.

Billing works Monday to Friday 09:00-18:00 Moscow time; tech around the clock. Times are
Moscow time (UTC+3) in the comments.
"""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from contracts import directory as d
from contracts import events as ev
from contracts.service_levels import BusinessCalendar
from contracts.tickets import MessageView, Rating, SlaClock, SlaState, TicketView

MSK = timezone(timedelta(hours=3))
BILLING = d.DepartmentView(
    id="billing", name="Биллинг", calendar=BusinessCalendar(timezone="Europe/Moscow")
)
TECH = d.DepartmentView(id="tech", name="Техника")


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=MSK)


def _sla(breached: bool) -> SlaState:
    clock = SlaClock(target="first_response", minutes=60, breached=breached)
    return SlaState(policy_id="p", policy_name="Стандарт", clocks=[clock])


class Story:
    def __init__(self, ticket_id: str, channel: str, created: datetime) -> None:
        self.t = TicketView(
            id=ticket_id, number=int(ticket_id[-1]), channel=channel, account="a",  # type: ignore[arg-type]
            thread_key=ticket_id, contact_id=f"c{ticket_id}", created_at=created,
            updated_at=created, version=1,
        )  # fmt: skip
        self.events: list[ev.Event] = [ev.TicketCreated(ticket=self.t, at=created)]
        self.said = 0

    def change(self, at: datetime, kind: type[Any] = ev.TicketChanged, **fields: Any) -> "Story":
        self.t = self.t.model_copy(update={**fields, "version": self.t.version + 1})
        extra = {"fields": list(fields)} if kind is ev.TicketChanged else {}
        self.events.append(kind(ticket=self.t, at=at, **extra))
        return self

    def message(self, at: datetime, direction: str, author: str, **fields: Any) -> "Story":
        self.t = self.t.model_copy(update={**fields, "version": self.t.version + 1})
        self.said += 1
        message = MessageView(
            id=f"{self.t.id}-m{self.said}", ticket_id=self.t.id, direction=direction,  # type: ignore[arg-type]
            author=author, text="…", created_at=at,
        )  # fmt: skip
        self.events.append(ev.MessageCreated(ticket=self.t, message=message, at=at))
        return self


def history() -> list[ev.Event]:
    # T1, Telegram, billing. Written Monday 08:00, before opening: counting starts at 09:00.
    # Anna answers at 10:30: first response 1.5 working hours (5,400 s; 9,000 s of wall time).
    # Pending 11:00 (2 h counted) until the customer writes Tuesday 10:00; resolved Tuesday
    # 12:00: resolution 2 h + 2 h = 14,400 s. Rated 4 on Tuesday 12:05. SLA met.
    t1 = Story("ticket1", "telegram", msk(7, 8))
    t1.message(msk(7, 8), "inbound", "ct1")  # as the store has it: the message, then the route
    t1.change(msk(7, 8), ev.TicketTransferred, department="billing")
    t1.change(msk(7, 9), ev.TicketAssigned, assignee="anna", sla=_sla(False))
    t1.message(msk(7, 10, 30), "outbound", "anna", first_response_at=msk(7, 10, 30))
    t1.change(msk(7, 11), status="pending")
    t1.message(msk(8, 10), "inbound", "ct1", status="open")
    t1.change(msk(8, 12), status="resolved", rating=Rating(asked_at=msk(8, 12)))
    rated = Rating(asked_at=msk(8, 12), score=4, rated_at=msk(8, 12, 5))
    t1.t = t1.t.model_copy(update={"rating": rated})
    t1.events.append(ev.TicketRated(ticket=t1.t, score=4, at=msk(8, 12, 5)))

    # T2, email, billing at Monday 17:00; to tech (around the clock) at 17:30 (0.5 h counted
    # in billing); Boris answers at 19:30: first response 0.5 h + 2 h = 9,000 s, SLA missed.
    # Resolved 20:00 (10,800 s); reopened 21:00; resolved again 22:00 (14,400 s).
    t2 = Story("ticket2", "email", msk(7, 17))
    t2.change(msk(7, 17), ev.TicketTransferred, department="billing", sla=_sla(True))
    t2.message(msk(7, 17), "inbound", "ct2")
    t2.change(msk(7, 17, 30), ev.TicketTransferred, department="tech", assignee="boris")
    t2.message(msk(7, 19, 30), "outbound", "boris", first_response_at=msk(7, 19, 30))
    t2.change(msk(7, 20), status="resolved", rating=Rating(asked_at=msk(7, 20)))
    t2.message(msk(7, 21), "inbound", "ct2")
    t2.change(msk(7, 21), ev.TicketReopened, status="open")
    t2.change(msk(7, 22), status="resolved")

    # T3, web chat, billing, Monday 12:00, never answered: waiting a day on Tuesday 12:00.
    t3 = Story("ticket3", "webchat", msk(7, 12))
    t3.message(msk(7, 12), "inbound", "ct3")
    t3.change(msk(7, 12, 1), ev.TicketTransferred, department="billing")
    merged = [*t1.events, *t2.events, *t3.events]
    return sorted(merged, key=lambda e: e.at)  # type: ignore[union-attr]


NOW = msk(8, 12).astimezone(UTC)
CALENDARS = {"billing": BILLING.calendar}
