"""Business-time arithmetic across midnight, weekends, holidays, DST, split shifts and zones."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.service_levels import BusinessCalendar, Shift
from services.sla import business_hours as bh

pytestmark = pytest.mark.unit
H = timedelta(hours=1)
MOSCOW = ZoneInfo("Europe/Moscow")


def office(zone: str = "Europe/Moscow", **extra: object) -> BusinessCalendar:
    return BusinessCalendar.model_validate({"timezone": zone, **extra})


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def test_two_hours_asked_on_friday_evening_fall_due_on_monday_morning() -> None:
    friday_17 = local("Europe/Moscow", 2026, 12, 4, 17)

    due = bh.add(office(), friday_17, 2 * H)

    assert due == local("Europe/Moscow", 2026, 12, 7, 10)


def test_time_asked_at_night_counts_from_the_next_opening() -> None:
    tuesday_3am = local("Europe/Moscow", 2026, 12, 8, 3)

    assert bh.add(office(), tuesday_3am, 30 * timedelta(minutes=1)) == local(
        "Europe/Moscow", 2026, 12, 8, 9, 30
    )


def test_a_holiday_is_skipped() -> None:
    calendar = office(holidays=[date(2026, 12, 7)])
    friday_17 = local("Europe/Moscow", 2026, 12, 4, 17)

    assert bh.add(calendar, friday_17, 2 * H) == local("Europe/Moscow", 2026, 12, 8, 10)


def test_a_countrys_public_holidays_are_days_off() -> None:
    calendar = office(country="RU")
    # 30 December 2026 is a Wednesday; 31 December is a day off by decree that year, and
    # Russia rests from 1 to 8 January (9 and 10 January 2027 are a weekend).
    december_30_17 = local("Europe/Moscow", 2026, 12, 30, 17)

    assert bh.add(calendar, december_30_17, 2 * H) == local("Europe/Moscow", 2027, 1, 11, 10)


def test_split_shifts_skip_the_lunch_break() -> None:
    split = [[Shift(start=time(9), end=time(13)), Shift(start=time(14), end=time(18))]] * 7
    calendar = office(week=split)

    due = bh.add(calendar, local("Europe/Moscow", 2026, 12, 7, 12), 2 * H)

    assert due == local("Europe/Moscow", 2026, 12, 7, 15)


def test_a_shift_to_midnight_continues_after_midnight_into_the_next_one() -> None:
    evenings = [[Shift(start=time(20), end=time(0))]] * 7
    calendar = office(week=evenings)

    due = bh.add(calendar, local("Europe/Moscow", 2026, 12, 7, 23), 2 * H)

    assert due == local("Europe/Moscow", 2026, 12, 8, 21)


def test_a_day_when_clocks_go_back_has_twenty_five_hours() -> None:
    calendar = office("Europe/Berlin", week=[[Shift(start=time(0), end=time(0))]] * 7)
    start = local("Europe/Berlin", 2026, 10, 25, 0)
    end = local("Europe/Berlin", 2026, 10, 26, 0)

    assert bh.between(calendar, start, end) == 25 * H


def test_a_shift_across_the_spring_change_is_an_hour_shorter() -> None:
    calendar = office("America/New_York", week=[[Shift(start=time(1), end=time(4))]] * 7)
    day = local("America/New_York", 2026, 3, 8, 0)

    assert bh.between(calendar, day, day + 24 * H) == 2 * H


@pytest.mark.parametrize(
    ("zone", "utc_hour"),
    [
        ("Pacific/Honolulu", 19),
        ("Europe/Kaliningrad", 7),
        ("Asia/Vladivostok", 23),
        ("Pacific/Auckland", 20),
    ],
)
def test_opening_time_is_the_departments_own_from_utc_minus_10_to_plus_13(
    zone: str, utc_hour: int
) -> None:
    # Monday 7 December 2026, nine in the morning in each zone, seen from UTC.
    calendar = office(zone)
    sunday_noon_utc = datetime(2026, 12, 6, 12, tzinfo=UTC)

    opening = bh.next_open(calendar, sunday_noon_utc)

    assert opening.astimezone(ZoneInfo(zone)).hour == 9
    assert opening.astimezone(ZoneInfo(zone)).weekday() in (0, 1)
    assert opening.astimezone(UTC).hour == utc_hour


def test_business_time_between_is_zero_outside_hours() -> None:
    saturday = local("Europe/Moscow", 2026, 12, 5, 10)

    assert bh.between(office(), saturday, saturday + 24 * H) == timedelta(0)


def test_around_the_clock_is_wall_time() -> None:
    start = datetime(2026, 12, 5, 10, tzinfo=UTC)

    assert bh.add(bh.ALWAYS, start, 30 * H) == start + 30 * H


def test_a_calendar_without_hours_is_refused_rather_than_looping() -> None:
    calendar = office(week=[[]] * 7)

    with pytest.raises(bh.NoBusinessHours):
        bh.add(calendar, datetime(2026, 12, 5, tzinfo=UTC), H)


def test_overlapping_shifts_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        office(week=[[Shift(start=time(9), end=time(13)), Shift(start=time(12), end=time(18))]] * 7)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        office("Mars/Olympus")


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
amounts = st.integers(min_value=0, max_value=60 * 24 * 10).map(lambda m: timedelta(minutes=m))
zones = st.sampled_from(["Europe/Moscow", "Pacific/Honolulu", "Asia/Kamchatka", "Europe/Berlin"])


@given(zones, instants, amounts, amounts)
def test_adding_more_business_time_never_gives_an_earlier_instant(
    zone: str, start: datetime, a: timedelta, b: timedelta
) -> None:
    calendar = office(zone, country="DE" if zone == "Europe/Berlin" else None)
    small, large = sorted((a, b))

    assert bh.add(calendar, start, small) <= bh.add(calendar, start, large)


@given(zones, instants, amounts)
def test_business_time_between_start_and_due_is_what_was_added(
    zone: str, start: datetime, amount: timedelta
) -> None:
    calendar = office(zone)

    due = bh.add(calendar, start, amount)

    assert bh.between(calendar, start, due) == amount


@given(zones, instants, amounts, st.integers(min_value=1, max_value=60 * 24 * 20))
def test_pausing_never_brings_a_due_time_earlier(
    zone: str, start: datetime, target: timedelta, pause_minutes: int
) -> None:
    # Counting stops at `paused`, resumes after the pause with what was left.
    calendar = office(zone)
    due = bh.add(calendar, start, target)
    paused = start + (due - start) / 2
    used = bh.between(calendar, start, paused)
    resumed = paused + timedelta(minutes=pause_minutes)

    assert bh.add(calendar, resumed, target - used) >= due


def test_a_replaced_calendar_is_not_answered_from_what_the_old_one_gave() -> None:
    monday = date(2026, 12, 7)
    before = BusinessCalendar(timezone="Europe/Moscow")
    assert bh.day_intervals(before, monday)[0][0] == datetime(2026, 12, 7, 6, tzinfo=UTC)

    after = before.model_copy(update={"timezone": "Asia/Vladivostok"})

    assert bh.day_intervals(after, monday)[0][0] == datetime(2026, 12, 6, 23, tzinfo=UTC)
    assert bh.day_intervals(before, monday)[0][0] == datetime(2026, 12, 7, 6, tzinfo=UTC)


def test_remembered_days_are_bounded() -> None:
    cal = BusinessCalendar(timezone="Europe/Moscow")

    for n in range(bh.REMEMBERED_DAYS + 10):
        bh.day_intervals(cal, date(2026, 1, 1) + timedelta(days=n))

    assert len(bh._REMEMBERED) <= bh.REMEMBERED_DAYS
