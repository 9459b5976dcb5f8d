"""SLA clocks: which policy holds a ticket, and how its clocks move as the ticket changes.
Pure.

Each target (first response, next response, resolution) has a clock that runs in the business
time of the ticket's department. It keeps what it has used (`spent_seconds`) and since when it
runs (`since`), so pausing (the ticket waits on the customer), resuming (they wrote back) and
a transfer (another department's calendar) each settle what was used and go on from there:
a due time never moves earlier because of a pause, and never depends on how often the
ticket was saved.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from contracts.directory import DepartmentView
from contracts.service_levels import BusinessCalendar, SlaPolicy
from contracts.tickets import TARGETS, SlaClock, SlaState, Target, TicketView
from services.sla import business_hours as bh

STOPPED = ("resolved", "closed")


def policy_for(ticket: TicketView, policies: list[SlaPolicy]) -> SlaPolicy | None:
    """The first enabled policy whose every condition holds for the ticket."""
    for p in policies:
        m = p.match
        if not p.enabled:
            continue
        if m.departments and ticket.department not in m.departments:
            continue
        if m.priorities and ticket.priority not in m.priorities:
            continue
        if m.channels and ticket.channel not in m.channels:
            continue
        if m.tags and not set(m.tags) & set(ticket.tags):
            continue
        return p
    return None


def calendar_of(
    department: str | None, departments: Mapping[str, DepartmentView]
) -> BusinessCalendar:
    found = departments.get(department or "")
    return found.calendar if found and found.calendar else bh.ALWAYS


def _settle(clock: SlaClock, cal: BusinessCalendar, now: datetime) -> SlaClock:
    """Book the time used since `since` and restart counting at `now`."""
    if clock.since is None or clock.done_at is not None:
        return clock
    used = bh.between(cal, clock.since, now).total_seconds()
    return clock.model_copy(update={"spent_seconds": clock.spent_seconds + used, "since": now})


def _waiting_since(t: TicketView) -> datetime | None:
    """When the customer wrote after our last answer (what a next response is due for)."""
    last = t.last_inbound_at
    answered = t.last_agent_reply_at
    if t.first_response_at is None or last is None or (answered and answered >= last):
        return None
    return last


def _done(target: Target, t: TicketView, now: datetime) -> datetime | None:
    """When the target was met, or None while it still counts. A resolved or closed ticket
    stops every clock (a spam ticket resolved unanswered is not a missed first response)."""
    if target == "first_response" and t.first_response_at is not None:
        return t.first_response_at
    return now if t.status in STOPPED else None


def _step(
    target: Target,
    minutes: int,
    old: SlaClock | None,
    t: TicketView,
    cal: BusinessCalendar,
    now: datetime,
) -> SlaClock | None:
    """The target's clock after the change (calendar already settled into `old`)."""
    clock = old.model_copy(update={"minutes": minutes}) if old else None
    if target == "next_response":
        waiting = _waiting_since(t)
        if waiting is not None and t.status not in STOPPED:
            if clock is None or (clock.done_at is not None and waiting > clock.done_at):
                return SlaClock(target=target, minutes=minutes, since=waiting)  # a new cycle
            return clock
        if clock is not None and clock.done_at is None:
            ended = now if t.status in STOPPED else (t.last_agent_reply_at or now)
            return _settle(clock, cal, ended).model_copy(update={"done_at": ended})
        return clock
    if clock is None:
        clock = SlaClock(target=target, minutes=minutes, since=t.created_at)
    done = _done(target, t, now)
    if done is not None and clock.done_at is None:  # what it used counts if it goes on again
        return _settle(clock, cal, done).model_copy(update={"done_at": done})
    if done is None and clock.done_at is not None:  # reopened: counting goes on
        return clock.model_copy(update={"done_at": None, "since": now})
    return clock


def _pace(clock: SlaClock, t: TicketView, cal: BusinessCalendar, now: datetime) -> SlaClock:
    """Pause a running clock while the ticket waits on the customer; resume it after."""
    if clock.done_at is not None:
        return clock.model_copy(update={"due_at": None})
    if t.status == "pending" and clock.since is not None:
        clock = _settle(clock, cal, now).model_copy(update={"since": None})
    elif t.status != "pending" and clock.since is None:
        clock = clock.model_copy(update={"since": now})
    if clock.since is None:
        return clock.model_copy(update={"due_at": None})
    left = timedelta(minutes=clock.minutes) - timedelta(seconds=clock.spent_seconds)
    return clock.model_copy(update={"due_at": bh.add(cal, clock.since, left)})


# What SLA clocks and follow-ups depend on: a change to nothing else (an assignment, a new
# subject) keeps them as they are, without the calendar arithmetic. What changes most often
# comes first: the check stops at the first difference.
MOVES_CLOCKS = (
    "last_inbound_at", "last_agent_reply_at", "status", "first_response_at", "department",
    "priority", "channel", "tags", "merged_into", "reminded_at", "sla",
)  # fmt: skip


def advance(
    before: TicketView | None,
    after: TicketView,
    policies: list[SlaPolicy],
    departments: Mapping[str, DepartmentView],
    now: datetime,
) -> TicketView:
    """`after` with its status time, SLA clocks and next timer brought up to date."""
    if before is not None and all(getattr(before, f) == getattr(after, f) for f in MOVES_CLOCKS):
        return after
    updates: dict[str, object] = {}
    if before is None or before.status != after.status or after.status_since is None:
        updates["status_since"] = after.created_at if before is None else now
    t = after.model_copy(update=updates) if updates else after
    policy = policy_for(t, policies)
    state = _clocks(before, t, policy, departments, now) if policy else None
    timer = next_timer(t, state, departments)
    if state == t.sla and timer == t.timer_at:
        return t  # (a copy per inbound message was a twentieth of the store's CPU)
    return t.model_copy(update={"sla": state, "timer_at": timer})


def _clocks(
    before: TicketView | None,
    t: TicketView,
    policy: SlaPolicy,
    departments: Mapping[str, DepartmentView],
    now: datetime,
) -> SlaState:
    old = t.sla or (before.sla if before else None)
    cal = calendar_of(t.department, departments)
    clocks: list[SlaClock] = []
    for target in TARGETS:
        minutes = policy.minutes(target)
        if minutes is None:
            continue
        previous = old.clock(target) if old else None
        if previous and old and old.calendar != t.department:
            previous = _settle(previous, calendar_of(old.calendar, departments), now)
        clock = _step(target, minutes, previous, t, cal, now)
        if clock is not None:
            clocks.append(_pace(clock, t, cal, now))
    return SlaState(
        policy_id=policy.id,
        policy_name=policy.name,
        calendar=t.department,
        warning_minutes=policy.warning_minutes,
        clocks=clocks,
    )


def warning_at(clock: SlaClock, state: SlaState) -> datetime | None:
    return clock.due_at - timedelta(minutes=state.warning_minutes) if clock.due_at else None


def next_timer(
    t: TicketView, state: SlaState | None, departments: Mapping[str, DepartmentView]
) -> datetime | None:
    """The earliest warning, breach or follow-up still to fire."""
    times: list[datetime] = []
    for clock in state.clocks if state else []:
        if clock.due_at is None:
            continue
        if not clock.warned:
            times.append(warning_at(clock, state))  # type: ignore[arg-type]
        if not clock.breached:
            times.append(clock.due_at)
    follow_up = next_follow_up(t, departments.get(t.department or ""))
    if follow_up:
        times.append(follow_up[1])
    return min(times, default=None)


def next_follow_up(t: TicketView, department: DepartmentView | None) -> tuple[str, datetime] | None:
    """The follow-up this ticket waits for ('remind', 'resolve' or 'close') and when."""
    if department is None or t.status_since is None or t.merged_into:
        return None
    since = t.status_since
    if t.status == "pending":
        reminded = t.reminded_at is not None and t.reminded_at >= since
        if department.remind_pending_hours and not reminded:
            return "remind", since + timedelta(hours=department.remind_pending_hours)
        if department.resolve_pending_days:
            return "resolve", since + timedelta(days=department.resolve_pending_days)
    if t.status == "resolved" and department.close_resolved_days:
        return "close", since + timedelta(days=department.close_resolved_days)
    return None


Stage = Literal["warning", "breached"]


@dataclass(frozen=True)
class Fired:
    target: Target
    stage: Stage
    due_at: datetime


def fire(state: SlaState, at: datetime) -> tuple[SlaState, list[Fired]]:
    """Mark what has fallen due by `at` as fired; each warning and breach fires once. A
    breach found before its warning fires both, warning first."""
    fired: list[Fired] = []
    clocks = []
    for clock in state.clocks:
        warn = warning_at(clock, state)
        updates: dict[str, bool] = {}
        if clock.due_at and warn and not clock.warned and warn <= at:
            fired.append(Fired(clock.target, "warning", clock.due_at))
            updates["warned"] = True
        if clock.due_at and not clock.breached and clock.due_at <= at:
            fired.append(Fired(clock.target, "breached", clock.due_at))
            updates["breached"] = True
        clocks.append(clock.model_copy(update=updates) if updates else clock)
    return state.model_copy(update={"clocks": clocks}), fired
