"""Reports: the queue by department and status, as JSON or CSV, within the agent's
departments."""

import csv
import io

from fastapi import APIRouter
from fastapi.responses import Response

from services.inbox import permissions
from services.inbox.api.context import Agent, Ctx
from services.inbox.api.errors import ERRORS
from services.inbox.api.schemas import Format, QueueReport

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
