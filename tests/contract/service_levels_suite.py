"""What every backend does with service levels: SLA clocks stamped on the ticket with each
change, timers found by the router's query and fired once, escalation, acknowledgement and
follow-ups. Mixed into each backend's contract class beside RepositorySuite.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from contracts import commands as c
from contracts import directory as d
from contracts.base import utcnow
from contracts.queries import ListTickets
from contracts.service_levels import BusinessCalendar, Escalation, Shift, SlaMatch, SlaPolicy
from contracts.tickets import TicketView
from services.store.repository import Repository
from services.store.writer import Writer
from tests.contract.suite import Published, inbound

ADMIN = "admin"
NIGHTS_ZONE = ZoneInfo("Asia/Vladivostok")
NIGHTS = BusinessCalendar(
    timezone="Asia/Vladivostok", week=[[Shift(start=time(22), end=time(23))]] * 7
)


async def desk(writer: Writer, **department: object) -> None:
    """A `support` department with a supervisor and an SLA policy: first response in 60 min,
    next response in 30, resolution in 8 hours, warned 15 min before."""
    for command in (
        d.PutDepartment(
            actor=ADMIN, department=d.DepartmentView(id="support", name="Поддержка", **department)
        ),  # type: ignore[arg-type]
        d.PutDepartment(
            actor=ADMIN, department=d.DepartmentView(id="night", name="Ночная", calendar=NIGHTS)
        ),
        d.PutAgent(
            actor=ADMIN,
            agent=d.AgentView(
                id="boss",
                email="boss@x.ru",
                name="Ольга",
                role="supervisor",
                departments=["support", "night"],
            ),
        ),
        d.SetSlaPolicies(
            actor=ADMIN,
            policies=[
                SlaPolicy(
                    id="std",
                    name="Стандарт",
                    match=SlaMatch(departments=["support", "night"]),
                    first_response_minutes=60,
                    next_response_minutes=30,
                    resolution_minutes=480,
                    escalation=Escalation(priority="urgent", assign_to="supervisor", tags=["sla"]),
                )
            ],
        ),
    ):
        assert isinstance(await writer.execute(command), c.CommandOk)


async def routed(
    repo: Repository, writer: Writer, thread: str = "chat-1", **extra: object
) -> TicketView:
    await writer.ingest([inbound(f"{thread}-1", thread=thread, **extra)])
    ticket = (await repo.list_tickets(ListTickets(thread=f"telegram:bot1:{thread}"))).items[0]
    reply = await writer.execute(
        c.RouteTicket(actor="router", ticket_id=ticket.id, department="support")
    )
    assert isinstance(reply, c.CommandOk) and reply.ticket
    return reply.ticket


def due(ticket: TicketView, target: str) -> datetime | None:
    clock = ticket.sla.clock(target) if ticket.sla else None  # type: ignore[arg-type]
    return clock.due_at if clock else None


class ServiceLevelsSuite:
    async def test_a_routed_ticket_carries_its_first_response_due_time(
        self, repo: Repository, writer: Writer
    ) -> None:
        await desk(writer)

        ticket = await routed(repo, writer)

        assert ticket.sla is not None and ticket.sla.policy_name == "Стандарт"
        assert due(ticket, "first_response") == ticket.created_at + timedelta(minutes=60)
        assert ticket.timer_at == ticket.created_at + timedelta(minutes=45)

    async def test_the_routers_query_finds_only_tickets_with_something_due(
        self, repo: Repository, writer: Writer
    ) -> None:
        await desk(writer)
        ticket = await routed(repo, writer)
        await writer.ingest([inbound("other-1", thread="other")])  # no department: no SLA

        soon = await repo.list_tickets(
            ListTickets(timer_before=ticket.created_at + timedelta(minutes=44))
        )
        later = await repo.list_tickets(
            ListTickets(timer_before=ticket.created_at + timedelta(minutes=46))
        )

        assert soon.items == []
        assert [t.id for t in later.items] == [ticket.id]

    async def test_the_warning_then_the_breach_fire_once_each_with_the_escalation(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await desk(writer)
        ticket = await routed(repo, writer)
        warn_at = ticket.created_at + timedelta(minutes=50)
        breach_at = ticket.created_at + timedelta(minutes=61)

        replies = [
            await writer.execute(c.FireTimers(actor="router", ticket_id=ticket.id, at=at))
            for at in (warn_at, warn_at, breach_at, breach_at)
        ]

        codes = [r.code if isinstance(r, c.CommandError) else "ok" for r in replies]
        assert codes == ["ok", "conflict", "ok", "conflict"]
        subjects = [s for s in published.subjects() if s.startswith("events.sla")]
        assert subjects == ["events.sla.warning", "events.sla.breached"]
        after = await repo.ticket(ticket.id)
        assert after is not None
        assert (after.priority, after.assignee, "sla" in after.tags) == ("urgent", "boss", True)
        assert "events.ticket.assigned" in published.subjects()

    async def test_an_agent_reply_in_time_stops_the_first_response_clock(
        self, repo: Repository, writer: Writer
    ) -> None:
        await desk(writer)
        ticket = await routed(repo, writer)

        reply = await writer.execute(c.AddReply(actor="a1", ticket_id=ticket.id, text="Смотрим"))

        assert isinstance(reply, c.CommandOk) and reply.ticket and reply.ticket.sla
        clock = reply.ticket.sla.clock("first_response")
        assert clock is not None and clock.done_at is not None and clock.due_at is None
        # What remains is the resolution clock: warned 15 minutes before its 8 hours.
        assert reply.ticket.timer_at == ticket.created_at + timedelta(minutes=480 - 15)

    async def test_pending_on_the_customer_pauses_and_their_reply_resumes_later(
        self, repo: Repository, writer: Writer
    ) -> None:
        await desk(writer)
        ticket = await routed(repo, writer)
        first_due = due(ticket, "resolution")

        paused = await writer.execute(
            c.SetStatus(actor="a1", ticket_id=ticket.id, status="pending")
        )
        await writer.ingest([inbound("chat-1-2", "Вот скриншот")])

        assert isinstance(paused, c.CommandOk) and paused.ticket
        assert due(paused.ticket, "resolution") is None
        resumed = await repo.ticket(ticket.id)
        assert resumed is not None and resumed.status == "open"
        resumed_due = due(resumed, "resolution")
        assert resumed_due is not None and first_due is not None and resumed_due >= first_due

    async def test_the_customer_writing_after_an_answer_starts_the_next_response_clock(
        self, repo: Repository, writer: Writer
    ) -> None:
        await desk(writer)
        ticket = await routed(repo, writer)
        await writer.execute(c.AddReply(actor="a1", ticket_id=ticket.id, text="Смотрим"))

        await writer.ingest([inbound("chat-1-2", "А сейчас?")])

        after = await repo.ticket(ticket.id)
        assert after is not None and after.last_inbound_at is not None
        assert due(after, "next_response") == after.last_inbound_at + timedelta(minutes=30)

    async def test_a_transfer_counts_in_the_new_departments_calendar(
        self, repo: Repository, writer: Writer
    ) -> None:
        await desk(writer)
        ticket = await routed(repo, writer)

        moved = await writer.execute(
            c.TransferTicket(actor="a1", ticket_id=ticket.id, department="night")
        )

        assert isinstance(moved, c.CommandOk) and moved.ticket and moved.ticket.sla
        first = due(moved.ticket, "first_response")
        assert moved.ticket.sla.calendar == "night" and first is not None
        local = first.astimezone(NIGHTS_ZONE)
        assert time(22) < local.time() <= time(23)

    async def test_an_acknowledgement_goes_once_with_the_ticket_number(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await desk(writer, acknowledge=True)
        ticket = await routed(repo, writer)

        for _ in range(2):
            await writer.execute(c.AcknowledgeTicket(actor="router", ticket_id=ticket.id))

        outbound = [p for s, p, _ in published.items if s.startswith("outbound.telegram.")]
        assert len(outbound) == 1
        assert (
            f"№{ticket.number}".encode() in outbound[0]
            or f"#{ticket.number}".encode() in outbound[0]
        )
        after = await repo.ticket(ticket.id)
        assert after is not None and after.acknowledged_at is not None
        assert after.first_response_at is None  # a machine's words are not an answer

    async def test_an_auto_reply_is_never_acknowledged(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await desk(writer, acknowledge=True)
        ticket = await routed(repo, writer, tags=["auto-reply"])

        await writer.execute(c.AcknowledgeTicket(actor="router", ticket_id=ticket.id))

        assert not any(s.startswith("outbound.telegram.") for s in published.subjects())

    async def test_an_agent_escalates_to_the_departments_supervisor(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await desk(writer)
        ticket = await routed(repo, writer)

        reply = await writer.execute(
            c.EscalateTicket(actor="a1", ticket_id=ticket.id, reason="грубит третий раз")
        )

        assert isinstance(reply, c.CommandOk) and reply.ticket
        assert (reply.ticket.assignee, reply.ticket.escalated_at is not None) == ("boss", True)
        assert "escalated" in reply.ticket.tags
        assert "events.ticket.escalated" in published.subjects()

    async def test_a_silent_customer_is_reminded_then_the_ticket_resolves_then_closes(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await desk(writer, remind_pending_hours=24, resolve_pending_days=3, close_resolved_days=7)
        ticket = await routed(repo, writer)
        await writer.execute(c.SetStatus(actor="a1", ticket_id=ticket.id, status="pending"))
        start = utcnow()

        def fire(at: datetime) -> c.FireTimers:
            return c.FireTimers(actor="router", ticket_id=ticket.id, at=at)

        early = await writer.execute(fire(start + timedelta(hours=23)))
        reminded = await writer.execute(fire(start + timedelta(hours=25)))
        again = await writer.execute(fire(start + timedelta(hours=26)))
        resolved = await writer.execute(fire(start + timedelta(days=3, hours=1)))
        closed = await writer.execute(fire(utcnow() + timedelta(days=7, hours=1)))

        codes = [
            r.code if isinstance(r, c.CommandError) else "ok"
            for r in (early, reminded, again, resolved, closed)
        ]
        assert codes == ["conflict", "ok", "conflict", "ok", "ok"]
        assert sum(s.startswith("outbound.telegram.") for s in published.subjects()) == 1
        after = await repo.ticket(ticket.id)
        assert after is not None and after.status == "closed"
        trail = [e.action for e in await repo.audit(ticket.id)]
        assert trail.count("automatic") == 1 and trail.count("status") == 3

    async def test_a_calendar_naming_a_country_without_known_holidays_is_refused(
        self, writer: Writer
    ) -> None:
        calendar = BusinessCalendar(timezone="Europe/Moscow", country="XX")
        department = d.DepartmentView(id="odd", name="Странный", calendar=calendar)

        reply = await writer.execute(d.PutDepartment(actor=ADMIN, department=department))

        assert isinstance(reply, c.CommandError)
        assert (reply.code, reply.field) == ("invalid", "calendar.country")
