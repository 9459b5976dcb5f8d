"""A link to the customers' portal for a ticket's customer, for the agent to send them."""

import json
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic import BaseModel

from contracts import subjects
from services.inbox.api.context import Agent, Ctx
from services.inbox.api.errors import ERRORS
from services.inbox.api.tickets import detail_for

router = APIRouter(prefix="/api/v1", tags=["portal"], responses=ERRORS)


class PortalLink(BaseModel):
    url: str
    expires_at: datetime


@router.post(
    "/tickets/{ticket_id}/portal-link",
    responses={409: {"description": "No contact"}, 503: {"description": "No portal running"}},
)
async def portal_link(ticket_id: str, agent: Agent, ctx: Ctx) -> PortalLink:
    """A sign-in link for this ticket's customer, to send in the conversation: it opens the
    portal on all their tickets, once, within the portal's link life (30 minutes unless
    configured). By their address when the contact has one, else by the contact itself, so a
    customer known only on a messenger signs in too."""
    await detail_for(ctx, agent, ticket_id, messages=False)  # 404 unless the agent may see it
    body = json.dumps({"ticket_id": ticket_id}).encode()
    try:
        reply = await ctx.store.nc.request(subjects.PORTAL_LINK, body, timeout=5)
    except (NoRespondersError, NatsTimeout) as error:
        raise HTTPException(503, "the customer portal is not running") from error
    answer = json.loads(reply.data)
    if "url" not in answer:
        raise HTTPException(409, f"no link for this ticket: {answer.get('error')}")
    return PortalLink(
        url=answer["url"], expires_at=datetime.fromtimestamp(answer["expires_at"], UTC)
    )
