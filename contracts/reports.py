"""Reports on the bus: what the inbox asks the reports service (`queries.reports.<table>`) and
the table it answers. Pure. Tables are built ahead of time from the EVENTS stream; a query
only filters and groups them.
"""

from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.base import BusModel
from contracts.channels import Channel

Table = Literal["volume", "heatmap", "response_times", "sla", "csat", "backlog", "online"]
TABLES: tuple[Table, ...] = (
    "volume", "heatmap", "response_times", "sla", "csat", "backlog", "online",
)  # fmt: skip
Period = Literal["hour", "day", "week", "month"]


class ReportQuery(BusModel):
    """Filters of every table; `departments` and `agents` are the asker's scope (None: all),
    filled in by the inbox from their role, never by them."""

    table: Table
    since: AwareDatetime
    until: AwareDatetime
    timezone: str = "UTC"
    period: Period = "day"
    group: Literal["department", "agent", "channel"] = "department"
    channel: Channel | None = None
    department: str | None = None
    agent: str | None = None
    departments: list[str] | None = None
    agents: list[str] | None = None


class ReportTable(BusModel):
    """Rows of one table, in order; numbers are counts or seconds of working time."""

    table: Table
    columns: list[str]
    rows: list[list[str | int | float | None]] = Field(default_factory=list)


class ReportError(BusModel):
    ok: Literal[False] = False
    code: Literal["invalid", "internal"]
    message: str
