"""SLA clocks as the ticket changes: policy choice, pause and resume, transfer, firing."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.directory import DepartmentView
from contracts.service_levels import BusinessCalendar, SlaMatch, SlaPolicy
from contracts.tickets import TicketView
from services.sla import clocks

pytestmark = pytest.mark.unit
T0 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # Monday 09:00 in Moscow
POLICIES = [
    SlaPolicy(id="vip", name="VIP", match=SlaMatch(tags=["vip"]), first_response_minutes=15),
    SlaPolicy(
        id="urgent",
        name="Срочно",
        match=SlaMatch(priorities=["urgent"], channels=["telegram"]),
        first_response_minutes=30,
    ),
    SlaPolicy(id="all", name="Все", first_response_minutes=120, resolution_minutes=600),
]
DEPARTMENTS = {
    "moscow": DepartmentView(
        id="moscow", name="Москва", calendar=BusinessCalendar(timezone="Europe/Moscow")
    ),
    "vlad": DepartmentView(
        id="vlad", name="Владивосток", calendar=BusinessCalendar(timezone="Asia/Vladivostok")
    ),
}


def new_ticket(**fields: object) -> TicketView:
    base = {
        "id": "t1", "number": 1, "channel": "telegram", "account": "bot", "thread_key": "c",
        "contact_id": "p", "department": "moscow", "created_at": T0, "updated_at": T0,
        "version": 1,
    }  # fmt: skip
    return TicketView.model_validate({**base, **fields})


def step(before: TicketView | None, after: TicketView, now: datetime) -> TicketView:
    return clocks.advance(before, after, POLICIES, DEPARTMENTS, now)


def due(t: TicketView, target: str = "first_response") -> datetime | None:
    clock = t.sla.clock(target) if t.sla else None  # type: ignore[arg-type]
    return clock.due_at if clock else None


@pytest.mark.parametrize(
    ("fields", "policy"),
    [({"tags": ["vip"]}, "vip"), ({"priority": "urgent"}, "urgent"),
     ({"priority": "urgent", "channel": "email"}, "all"), ({}, "all")],
)  # fmt: skip
def test_the_first_policy_whose_conditions_all_hold_applies(
    fields: dict[str, object], policy: str
) -> None:
    t = step(None, new_ticket(**fields), T0)

    assert t.sla is not None and t.sla.policy_id == policy


def test_due_times_count_in_the_departments_business_hours() -> None:
    t = step(None, new_ticket(), T0)

    assert due(t) == T0 + timedelta(hours=2)
    # Nine hours on Monday, the tenth on Tuesday from 09:00.
    assert due(t, "resolution") == T0 + timedelta(days=1, hours=1)


def test_pending_pauses_and_an_open_ticket_resumes_from_what_was_left() -> None:
    t = step(None, new_ticket(), T0)
    pending = step(t, t.model_copy(update={"status": "pending"}), T0 + timedelta(hours=1))
    reopened = step(pending, pending.model_copy(update={"status": "open"}), T0 + timedelta(hours=3))

    assert due(pending) is None and pending.timer_at is None
    assert due(reopened) == T0 + timedelta(hours=4)


def test_a_transfer_settles_in_the_old_calendar_and_counts_on_in_the_new_one() -> None:
    t = step(None, new_ticket(), T0)
    # At 10:00 in Moscow (one hour used) it moves to Vladivostok, where it is 17:00.
    moved = step(t, t.model_copy(update={"department": "vlad"}), T0 + timedelta(hours=1))

    assert moved.sla is not None and moved.sla.calendar == "vlad"
    # One hour left: 17:00-18:00 in Vladivostok, today.
    assert due(moved) == T0 + timedelta(hours=2)


def test_a_breach_before_its_warning_fires_both_once() -> None:
    t = step(None, new_ticket(), T0)
    assert t.sla is not None

    state, fired = clocks.fire(t.sla, T0 + timedelta(hours=3))
    _, again = clocks.fire(state, T0 + timedelta(hours=3))

    assert [(f.target, f.stage) for f in fired] == [
        ("first_response", "warning"),
        ("first_response", "breached"),
    ]
    assert again == []


def test_resolving_stops_the_resolution_clock_and_reopening_continues_it() -> None:
    t = step(None, new_ticket(), T0)
    resolved = step(t, t.model_copy(update={"status": "resolved"}), T0 + timedelta(hours=2))
    reopened = step(
        resolved, resolved.model_copy(update={"status": "open"}), T0 + timedelta(hours=5)
    )

    assert due(resolved, "resolution") is None
    # Eight of the ten hours were left when it was resolved; 14:00 + 4 h today, 4 h tomorrow.
    assert due(reopened, "resolution") == T0 + timedelta(days=1, hours=4)


@given(
    st.integers(min_value=0, max_value=60 * 24 * 5),
    st.integers(min_value=1, max_value=60 * 24 * 5),
)
def test_pausing_never_brings_a_due_time_earlier(pause_after: int, pause_for: int) -> None:
    t = step(None, new_ticket(), T0)
    before = due(t, "resolution")
    paused_at = T0 + timedelta(minutes=pause_after)
    pending = step(t, t.model_copy(update={"status": "pending"}), paused_at)
    reopened = step(
        pending,
        pending.model_copy(update={"status": "open"}),
        paused_at + timedelta(minutes=pause_for),
    )

    after = due(reopened, "resolution")
    assert before is not None and after is not None and after >= before


def test_a_change_that_moves_no_clock_leaves_the_sla_as_it_was() -> None:
    t = step(None, new_ticket(), T0)
    assigned = t.model_copy(update={"assignee": "anna", "version": 2})

    after = step(t, assigned, T0 + timedelta(hours=3))

    assert after.sla == t.sla and after.timer_at == t.timer_at


def test_resolving_an_unanswered_ticket_stops_its_first_response_clock() -> None:
    t = step(None, new_ticket(), T0)

    resolved = step(t, t.model_copy(update={"status": "resolved"}), T0 + timedelta(minutes=5))

    assert resolved.sla is not None and resolved.timer_at is None
    assert all(c.done_at is not None for c in resolved.sla.clocks)


def test_the_customer_writing_after_our_answer_starts_a_next_response_cycle_each_time() -> None:
    answered = new_ticket(first_response_at=T0, last_agent_reply_at=T0, last_inbound_at=T0)
    policies = [SlaPolicy(id="n", name="N", next_response_minutes=30)]
    t = clocks.advance(None, answered, policies, DEPARTMENTS, T0)
    wrote = t.model_copy(update={"last_inbound_at": T0 + timedelta(minutes=10)})

    first = clocks.advance(t, wrote, policies, DEPARTMENTS, T0 + timedelta(minutes=10))
    replied = first.model_copy(update={"last_agent_reply_at": T0 + timedelta(minutes=20)})
    second = clocks.advance(first, replied, policies, DEPARTMENTS, T0 + timedelta(minutes=20))

    assert due(t, "next_response") is None
    assert due(first, "next_response") == T0 + timedelta(minutes=40)
    clock = second.sla.clock("next_response") if second.sla else None
    assert clock is not None and clock.done_at == T0 + timedelta(minutes=20)
