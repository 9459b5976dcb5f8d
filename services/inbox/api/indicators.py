"""`POST /api/v1/tickets/{id}/typing`: the agent is typing to this ticket's customer."""

from fastapi import APIRouter, Response

from services.inbox.api.context import Agent, Ctx
from services.inbox.api.errors import ERRORS
from services.inbox.api.tickets import detail_for

router = APIRouter(prefix="/api/v1", tags=["tickets"], responses=ERRORS)


@router.post("/tickets/{ticket_id}/typing", status_code=204, response_class=Response)
async def typing(ticket_id: str, agent: Agent, ctx: Ctx) -> Response:
    """Show "typing…" to the customer for a few seconds (the web chat shows it; channels that
    have no such thing ignore it). Send it again every few seconds while typing."""
    detail = await detail_for(ctx, agent, ticket_id)
    await ctx.typing.agent_typing(ctx.store.nc, agent, detail.ticket)
    return Response(status_code=204)
