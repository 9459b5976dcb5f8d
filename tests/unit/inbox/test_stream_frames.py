"""What the live stream sends each agent: their departments' events, nothing else."""

from datetime import UTC, datetime

from contracts import events as ev
from contracts.directory import AgentView, DirectoryChanged
from contracts.tickets import TicketView
from services.inbox.stream import frame_for

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
BILLING = AgentView(id="b", email="b@desk.test", name="B", departments=["billing"])


def ticket(department: str) -> TicketView:
    return TicketView(
        id="t1", number=1, channel="vk", account="g", thread_key="1", contact_id="c1",
        department=department, created_at=NOW, updated_at=NOW, version=1,
    )  # fmt: skip


def test_an_event_of_the_agents_department_is_sent_with_its_sequence_as_id() -> None:
    frame = frame_for(BILLING, 17, ev.TicketCreated(ticket=ticket("billing")))

    assert frame is not None
    assert frame["id"] == "17" and frame["type"] == "ticket.created"
    assert frame["data"]["ticket"]["id"] == "t1"


def test_an_event_of_another_department_is_not_sent() -> None:
    assert frame_for(BILLING, 1, ev.TicketCreated(ticket=ticket("tech"))) is None


def test_a_ticket_transferred_away_is_removed_without_its_contents() -> None:
    moved = ev.TicketTransferred(ticket=ticket("tech"), previous_department="billing")

    frame = frame_for(BILLING, 5, moved)

    assert frame == {"id": "5", "type": "ticket.removed", "data": {"ticket_id": "t1"}}


def test_a_ticket_transferred_in_arrives_whole() -> None:
    moved = ev.TicketTransferred(ticket=ticket("billing"), previous_department="tech")

    frame = frame_for(BILLING, 6, moved)

    assert frame is not None and frame["type"] == "ticket.transferred"


def test_directory_changes_reach_everyone() -> None:
    frame = frame_for(BILLING, 2, DirectoryChanged(kind="template", item_id="x"))

    assert frame is not None and frame["type"] == "directory.changed"


def test_a_merge_into_another_department_hides_the_target_from_the_source_side() -> None:
    target = ticket("tech").model_copy(update={"id": "t2", "subject": "Секретная тема"})
    merged = ev.TicketMerged(ticket=ticket("billing"), into=target)

    frame = frame_for(BILLING, 9, merged)

    assert frame is not None and frame["data"]["into"] == {"id": "t2", "hidden": True}
    assert frame["data"]["ticket"]["id"] == "t1"
    assert "Секретная тема" not in str(frame)


def test_a_merge_from_another_department_hides_the_source_from_the_target_side() -> None:
    source = ticket("tech").model_copy(update={"subject": "Чужая тема"})
    merged = ev.TicketMerged(ticket=source, into=ticket("billing").model_copy(update={"id": "t2"}))

    frame = frame_for(BILLING, 9, merged)

    assert frame is not None and frame["data"]["ticket"] == {"id": "t1", "hidden": True}
    assert "Чужая тема" not in str(frame)


BOSS = AgentView(
    id="boss", email="boss@desk.test", name="Ольга", role="supervisor", departments=["billing"]
)


def breach(assignee: str | None = None) -> ev.SlaBreached:
    held = ticket("billing").model_copy(update={"assignee": assignee})
    return ev.SlaBreached(ticket=held, target="first_response", due_at=NOW)


def test_an_sla_breach_reaches_the_departments_supervisor_as_itself() -> None:
    frame = frame_for(BOSS, 30, breach())

    assert frame is not None and frame["type"] == "sla.breached"
    assert frame["data"]["target"] == "first_response"


def test_an_sla_breach_reaches_the_agent_holding_the_ticket() -> None:
    frame = frame_for(BILLING, 31, breach(assignee="b"))

    assert frame is not None and frame["type"] == "sla.breached"


def test_other_agents_of_the_department_only_see_the_ticket_change() -> None:
    frame = frame_for(BILLING, 32, breach(assignee="someone-else"))

    assert frame is not None and frame["type"] == "ticket.changed"
    assert frame["data"]["fields"] == ["sla"]


def test_a_supervisor_of_another_department_is_not_told() -> None:
    other = BOSS.model_copy(update={"departments": ["tech"]})

    assert frame_for(other, 33, breach()) is None
