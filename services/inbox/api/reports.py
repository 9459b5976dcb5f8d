"""Reports: the queue now (from the store), and the tables the reports service builds from
the EVENTS stream (volume, heat map, response times, SLA, satisfaction, backlog), as JSON or
CSV. Everyone sees their departments' figures; agents see only their own row where rows are
per agent; admins see everything.
"""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query
from fastapi.responses import Response
from nats.errors import Error as NatsError
from pydantic import ValidationError

from contracts import subjects
from contracts.channels import Channel
from contracts.directory import AgentView
from contracts.reports import Period, ReportError, ReportQuery, ReportTable, Table
from services.inbox import permissions
from services.inbox.api.context import Agent, Ctx, Inbox
from services.inbox.api.errors import ERRORS, Invalid
from services.inbox.api.schemas import Format, QueueReport
from services.runtime.store_client import StoreUnavailable

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=ERRORS)


@router.get(
    "/reports/queue",
    response_model=QueueReport,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def queue_report(agent: Agent, ctx: Ctx, format: Format = "json") -> QueueReport | Response:
    """Tickets per department and status, and unassigned per department (JSON or CSV)."""
    counts = await ctx.store.counts(permissions.scope(agent))
    if format == "json":
        return QueueReport(by_status=counts.by_status, unassigned=counts.unassigned)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["department", "status", "tickets"])
    for department, statuses in sorted(counts.by_status.items()):
        for status, count in sorted(statuses.items()):
            writer.writerow([department, status, count])
    for department, count in sorted(counts.unassigned.items()):
        writer.writerow([department, "unassigned", count])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


def _bounds(since: date | None, until: date | None, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Whole local days: `from` at 00:00 to the end of `to` (default: the last 30 days)."""
    today = datetime.now(zone).date()
    last = until or today
    first = since or last - timedelta(days=29)
    if first > last:
        raise Invalid("`from` is after `to`", "from")
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def _csv(table: ReportTable) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    name = f"relaydesk-{table.table}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/reports/{table}",
    response_model=ReportTable,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def report(
    table: Table,
    agent: Agent,
    ctx: Ctx,
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
    tz: str = "UTC",
    period: Period = "day",
    group: Annotated[str, Query(pattern="^(department|agent|channel)$")] = "department",
    channel: Channel | None = None,
    department: str | None = None,
    by_agent: Annotated[str | None, Query(alias="agent")] = None,
    format: Format = "json",
) -> ReportTable | Response:
    """A report table over whole local days `from`..`to` in time zone `tz`: `volume` (new
    tickets, inbound and outbound messages per `period`), `heatmap` (customers' messages by
    weekday and hour), `response_times` and `sla` and `csat` (per `group`), `backlog` (open
    and pending tickets by age), `online` (each agent's online time). Seconds are working
    time of the department's calendar."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {tz!r}", "tz") from None
    start, end = _bounds(since, until, zone)
    if table == "backlog":
        end = datetime.now(UTC)
    scope = permissions.scope(agent)
    try:
        query = ReportQuery.model_validate(
            {
                "table": table, "since": start, "until": end, "timezone": tz,
                "period": period, "group": group, "channel": channel,
                "department": department, "agent": by_agent, "departments": scope,
                "agents": _agents_in_scope(ctx, agent, table),
            }
        )  # fmt: skip
    except ValidationError as error:
        raise Invalid(str(error.errors()[0]["msg"]), "query") from None
    try:
        reply = await ctx.store.nc.request(
            subjects.report_query(table), query.to_bytes(), timeout=ctx.store.timeout * 2
        )
    except (NatsError, TimeoutError) as error:
        raise StoreUnavailable("the reports service did not answer") from error
    try:
        found = ReportTable.model_validate_json(reply.data)
    except ValidationError:  # the service refused the query: say why
        raise Invalid(ReportError.model_validate_json(reply.data).message, "query") from None
    return _csv(found) if format == "csv" else found


def _agents_in_scope(ctx: Inbox, agent: AgentView, table: str) -> list[str] | None:
    """Whose per-agent figures the asker may see: their own (an agent), their departments'
    members' (a supervisor, for online time, which has no department of its own), all."""
    if agent.role == "agent":
        return [agent.id]
    if agent.role == "supervisor" and table == "online":
        members = ctx.directory.current.agents
        return [a.id for a in members if set(a.departments) & set(agent.departments)]
    return None
