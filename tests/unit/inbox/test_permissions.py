"""Who may see and change what: roles and departments, decided without any I/O."""

from datetime import UTC, datetime

import pytest

from contracts.directory import AgentView
from contracts.tickets import TicketView
from services.inbox.permissions import (
    Forbidden,
    can_see,
    check_admin,
    check_assign,
    check_template,
    scope,
)

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def person(id: str, role: str = "agent", *departments: str) -> AgentView:
    return AgentView(
        id=id, email=f"{id}@desk.test", name=id, role=role, departments=list(departments)
    )  # type: ignore[arg-type]


def ticket(department: str | None = "billing", assignee: str | None = None) -> TicketView:
    return TicketView(
        id="t1", number=1, channel="telegram", account="bot", thread_key="1", contact_id="c1",
        department=department, assignee=assignee, created_at=NOW, updated_at=NOW, version=1,
    )  # fmt: skip


ANNA = person("anna", "agent", "billing")
BORIS = person("boris", "agent", "billing")
TECHIE = person("techie", "agent", "tech")
SUPER = person("super", "supervisor", "billing")
ROOT = person("root", "admin")


def test_an_agent_reads_only_their_departments() -> None:
    assert scope(ANNA) == ["billing"]
    assert can_see(ANNA, "billing")
    assert not can_see(ANNA, "tech")
    assert not can_see(ANNA, None)


def test_an_admin_reads_everything_including_unrouted_tickets() -> None:
    assert scope(ROOT) is None
    assert can_see(ROOT, "tech") and can_see(ROOT, None)


def test_an_agent_takes_an_unassigned_ticket_for_themselves() -> None:
    check_assign(ANNA, ticket(), ANNA)


def test_an_agent_cannot_take_a_colleagues_ticket() -> None:
    with pytest.raises(Forbidden, match="someone else"):
        check_assign(ANNA, ticket(assignee="boris"), ANNA)


def test_an_agent_cannot_assign_to_others() -> None:
    with pytest.raises(Forbidden, match="supervisor"):
        check_assign(ANNA, ticket(), BORIS)


def test_an_agent_gives_back_only_their_own_ticket() -> None:
    check_assign(ANNA, ticket(assignee="anna"), None)
    with pytest.raises(Forbidden):
        check_assign(ANNA, ticket(assignee="boris"), None)


def test_a_supervisor_assigns_any_member_of_the_department() -> None:
    check_assign(SUPER, ticket(assignee="anna"), BORIS)
    check_assign(SUPER, ticket(assignee="anna"), None)


def test_nobody_assigns_to_someone_outside_the_tickets_department() -> None:
    with pytest.raises(Forbidden, match="not a member of billing"):
        check_assign(ROOT, ticket(), TECHIE)


def test_a_deactivated_agent_gets_no_tickets() -> None:
    gone = BORIS.model_copy(update={"active": False})
    with pytest.raises(Forbidden, match="deactivated"):
        check_assign(SUPER, ticket(), gone)


def test_configuration_is_for_admins() -> None:
    check_admin(ROOT)
    for who in (ANNA, SUPER):
        with pytest.raises(Forbidden):
            check_admin(who)


def test_supervisors_keep_templates_of_their_departments_only() -> None:
    check_template(SUPER, "billing")
    check_template(ROOT, None)
    for who, department in ((SUPER, "tech"), (SUPER, None), (ANNA, "billing")):
        with pytest.raises(Forbidden):
            check_template(who, department)
