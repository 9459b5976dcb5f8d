"""Business time: when a department works, and how much working time lies between two
instants. Pure.

A calendar is weekly shifts in the department's own time zone, minus holidays (its list and,
optionally, a country's public holidays from the `holidays` package), or around the clock.
Shifts are turned into UTC intervals day by day through `zoneinfo`, so a day when the clocks
change has 23 or 25 hours, and a shift starting in the skipped hour starts when it ends.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from contracts.service_levels import BusinessCalendar

ALWAYS = BusinessCalendar(always_open=True)
ZERO = timedelta(0)
# How far ahead an answer is looked for: a calendar with hours always has some within a week,
# unless holidays cover them all; ten years of nothing means the calendar has no hours.
HORIZON_DAYS = 3660


class NoBusinessHours(ValueError):
    """The calendar is never open (no shifts, or holidays cover every one)."""


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


@lru_cache(maxsize=1)
def supported_countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def is_holiday(cal: BusinessCalendar, day: date) -> bool:
    if day in cal.holidays:
        return True
    return bool(cal.country) and day in _public_holidays(cal.country, cal.subdivision, day.year)


Intervals = tuple[tuple[datetime, datetime], ...]
# Remembered per calendar object and day: reports and timers ask for the same few days of the
# same calendars again and again. The object itself is kept with the entry, so its id cannot
# be reused by another calendar while the entry lives (calendars are replaced, not changed).
_REMEMBERED: dict[tuple[int, date], tuple[BusinessCalendar, Intervals]] = {}
REMEMBERED_DAYS = 4096


def day_intervals(cal: BusinessCalendar, day: date) -> Intervals:
    """The department's open intervals on its local `day`, in UTC, in order."""
    hit = _REMEMBERED.get((id(cal), day))
    if hit is not None and hit[0] is cal:
        return hit[1]
    found = _day_intervals(cal, day)
    if len(_REMEMBERED) >= REMEMBERED_DAYS:
        _REMEMBERED.clear()
    _REMEMBERED[(id(cal), day)] = (cal, found)
    return found


def _day_intervals(cal: BusinessCalendar, day: date) -> Intervals:
    if is_holiday(cal, day):
        return ()
    tz = zone(cal.timezone)
    out = []
    for shift in cal.week[day.weekday()]:
        start = datetime.combine(day, shift.start, tz)
        if shift.end == time(0):  # "24:00": the end of the day, whatever its length
            end = datetime.combine(day + timedelta(days=1), time(0), tz)
        else:
            end = datetime.combine(day, shift.end, tz)
        out.append((start.astimezone(UTC), end.astimezone(UTC)))
    return tuple(out)


def _intervals_from(cal: BusinessCalendar, at: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals that end after `at`, in order (clipped to start no earlier than it)."""
    day = at.astimezone(zone(cal.timezone)).date() - timedelta(days=1)
    for _ in range(HORIZON_DAYS):
        for start, end in day_intervals(cal, day):
            if end > at:
                yield max(start, at), end
        day += timedelta(days=1)
    raise NoBusinessHours("the calendar has no working hours")


def add(cal: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """The instant when `amount` of business time has passed since `start`."""
    if cal.always_open:
        return start + amount
    left = max(amount, ZERO)
    for begin, end in _intervals_from(cal, start):
        if left <= end - begin:
            return begin + left
        left -= end - begin
    raise NoBusinessHours("the calendar has no working hours")  # pragma: no cover


def between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Business time from `a` to `b` (zero when `b` is not after `a`)."""
    if b <= a:
        return ZERO
    if cal.always_open:
        return b - a
    total = ZERO
    tz = zone(cal.timezone)
    day = a.astimezone(tz).date() - timedelta(days=1)
    last = b.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        for begin, end in day_intervals(cal, day):
            total += max(min(end, b) - max(begin, a), ZERO)
        day += timedelta(days=1)
    return total


def is_open(cal: BusinessCalendar, at: datetime) -> bool:
    return cal.always_open or next_open(cal, at) == at


def next_open(cal: BusinessCalendar, at: datetime) -> datetime:
    """`at` itself when the department works then, else when it starts working next."""
    return at if cal.always_open else add(cal, at, ZERO)
