"""Service levels as data: business calendars and SLA policies, kept in the store's directory.
Pure. The clocks a ticket carries are in `contracts.tickets`; the arithmetic in `services.sla`.
"""

import itertools
from datetime import date, time
from zoneinfo import available_timezones

from pydantic import Field, field_validator, model_validator

from contracts.base import BusModel, new_id
from contracts.channels import Channel
from contracts.tickets import Priority, Target

_ZONES: set[str] = set()


class Shift(BusModel):
    """Working hours within one day, local time; `end` "24:00" (kept as 00:00) is midnight."""

    start: time
    end: time

    @field_validator("end", mode="before")
    @classmethod
    def _midnight(cls, value: object) -> object:
        return "00:00" if value in ("24:00", "24:00:00") else value

    @model_validator(mode="after")
    def _ordered(self) -> "Shift":
        if self.end != time(0) and self.end <= self.start:
            raise ValueError("a shift ends after it starts (use 24:00 for midnight)")
        return self


def _weekdays() -> list[list[Shift]]:
    nine_to_six = [Shift(start=time(9), end=time(18))]
    return [list(nine_to_six) for _ in range(5)] + [[], []]


class BusinessCalendar(BusModel):
    """When a department works: weekly shifts (Monday first; split shifts are several a day)
    in its time zone, minus holidays; or `always_open` (24/7)."""

    timezone: str = "UTC"
    always_open: bool = False
    week: list[list[Shift]] = Field(default_factory=_weekdays, min_length=7, max_length=7)
    holidays: list[date] = Field(default_factory=list)
    country: str | None = Field(
        default=None, description="ISO code whose public holidays are days off too, e.g. 'RU'"
    )
    subdivision: str | None = Field(default=None, description="Region of `country`, if any")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not _ZONES:
            _ZONES.update(available_timezones())
        if value not in _ZONES:
            raise ValueError(f"unknown time zone {value!r} (an IANA name, e.g. Europe/Moscow)")
        return value

    @model_validator(mode="after")
    def _no_overlaps(self) -> "BusinessCalendar":
        for day in self.week:
            ends = sorted((s.start, s.end if s.end != time(0) else time.max) for s in day)
            for (_, end), (start, _) in itertools.pairwise(ends):
                if start < end:
                    raise ValueError("shifts of one day overlap")
        return self


class SlaMatch(BusModel):
    """Every condition given must hold; a list matches when any element does."""

    departments: list[str] = Field(default_factory=list)
    priorities: list[Priority] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


class Escalation(BusModel):
    """What a breach does, once per breach."""

    priority: Priority | None = Field(default=None, description="Raise to (never lowers)")
    assign_to: str | None = Field(
        default=None, description="An agent id, or 'supervisor': the department's supervisor"
    )
    tags: list[str] = Field(default_factory=list)


class SlaPolicy(BusModel):
    """Targets in business minutes of the ticket's department; the first enabled policy
    whose conditions hold applies."""

    id: str = Field(default_factory=new_id)
    name: str = Field(min_length=1, max_length=200)
    match: SlaMatch = Field(default_factory=SlaMatch)
    first_response_minutes: int | None = Field(default=None, ge=1)
    next_response_minutes: int | None = Field(default=None, ge=1)
    resolution_minutes: int | None = Field(default=None, ge=1)
    warning_minutes: int = Field(default=15, ge=0, description="sla.warning this long before")
    escalation: Escalation = Field(default_factory=Escalation)
    enabled: bool = True

    def minutes(self, target: Target) -> int | None:
        value: int | None = getattr(self, f"{target}_minutes")
        return value
