"""A new ticket routed by the rules: the route the store gets and the ticket it leaves."""

from datetime import UTC, datetime

from contracts import directory as d
from contracts import events as ev
from contracts.tickets import MessageView, TicketView
from router.fresh import route_new

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
BILLING = d.RoutingRule(name="оплата", match=d.RuleMatch(pattern=r"оплат"), department="billing")
OUTAGE = d.RoutingRule(
    name="авария", match=d.RuleMatch(keywords=["не работает"]), priority="urgent",
    tags=["vip", "outage"], stop=False,
)  # fmt: skip
DESK = d.Directory(
    departments=[
        d.DepartmentView(id="support", name="Поддержка"),
        d.DepartmentView(id="billing", name="Оплата"),
    ],
    rules=[OUTAGE, BILLING],
)


def created(
    text: str, department: str | None = None, tags: list[str] | None = None
) -> ev.TicketCreated:
    ticket = TicketView(
        id="t1", number=1, subject=text, channel="telegram", account="bot", thread_key="42",
        contact_id="c1", department=department, tags=tags or [], created_at=NOW,
        updated_at=NOW, version=1,
    )  # fmt: skip
    first = MessageView(id="m1", ticket_id="t1", direction="inbound", text=text, created_at=NOW)
    return ev.TicketCreated(ticket=ticket, first_message=first)


def test_the_route_names_the_department_the_rules_chose_and_the_ticket_is_already_there() -> None:
    fresh = route_new(created("Не проходит оплата"), DESK, "support", actor="router")

    assert fresh.route is not None
    assert (fresh.route.department, fresh.route.actor) == ("billing", "router")
    assert fresh.ticket.department == "billing"
    assert fresh.route.reason == "rule 'оплата'"


def test_a_ticket_already_where_the_rules_put_it_needs_no_route() -> None:
    event = created("Здравствуйте", department="support")

    fresh = route_new(event, DESK, "support", actor="router")

    assert fresh.route is None
    assert fresh.ticket is event.ticket


def test_priority_and_only_the_missing_tags_are_added() -> None:
    fresh = route_new(created("Сайт не работает", tags=["vip"]), DESK, "support", actor="router")

    assert fresh.route is not None
    assert (fresh.route.priority, fresh.route.tags) == ("urgent", ["outage"])
    assert (fresh.ticket.priority, fresh.ticket.tags) == ("urgent", ["vip", "outage"])
    assert fresh.ticket.department == "support"
