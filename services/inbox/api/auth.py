"""Login, the agent's own profile, and presence."""

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request, Response

from contracts import directory as d
from services.inbox import tokens
from services.inbox.api.context import Agent, Ctx
from services.inbox.api.errors import ERRORS
from services.inbox.api.schemas import (
    AgentOut,
    Login,
    PresenceIn,
    PresenceOut,
    Problem,
    Session,
    TourIn,
    agent_out,
)
from services.inbox.passwords import verify_password

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post(
    "/auth/login",
    response_model=Session,
    responses={
        401: {"model": Problem, "description": "Wrong email or password"},
        429: {"model": Problem, "description": "Too many failures: wait `Retry-After` seconds"},
        503: ERRORS[503],
    },
)
async def login(body: Login, request: Request, ctx: Ctx) -> Session:
    """Exchange email and password for a bearer token."""
    email = body.email.strip().lower()
    address = request.client.host if request.client else "unknown"
    pair = [f"{email} from {address}"]
    now = time.monotonic()
    # Counted before the slow check, in one step with the check of the limit (see throttle).
    wait = ctx.addresses.wait([address], now) or ctx.emails.reserve(pair, now)
    if wait <= 0:
        ctx.addresses.failed([address], now)
    if wait > 0:
        seconds = str(math.ceil(wait))
        raise HTTPException(
            429, f"too many failed logins: try again in {seconds} s", {"Retry-After": seconds}
        )
    try:
        found = await ctx.store.credentials(email)
    except Exception:  # the store did not answer: that attempt proved nothing
        ctx.emails.refund(pair)
        ctx.addresses.refund([address])
        raise
    # argon2 takes tens of milliseconds of CPU on purpose: keep the event loop free meanwhile.
    valid = await asyncio.to_thread(verify_password, found.password_hash, body.password)
    if not valid or found.agent is None or not found.agent.active:
        raise HTTPException(401, "wrong email or password")
    ctx.emails.succeeded(pair)
    ctx.addresses.refund([address])
    hours = ctx.settings.inbox_token_hours
    return Session(
        token=tokens.issue(found.agent.id, ctx.key, hours, sessions=found.agent.sessions),
        expires_at=datetime.now(UTC) + timedelta(hours=hours),
        agent=agent_out(found.agent),
    )


@router.post("/auth/logout", status_code=204, responses={401: ERRORS[401], 503: ERRORS[503]})
async def logout(agent: Agent, ctx: Ctx) -> Response:
    """End every login token of this agent (this browser's and any other's)."""
    ended = agent.model_copy(update={"sessions": agent.sessions + 1})
    await ctx.store.directory_command(d.PutAgent(actor=agent.id, agent=ended))
    await ctx.directory.refresh()  # this inbox refuses the token at once
    return Response(status_code=204)


@router.get("/me", response_model=AgentOut, responses={401: ERRORS[401]})
async def me(agent: Agent) -> AgentOut:
    return agent_out(agent)


@router.put("/me/tour", response_model=AgentOut, responses={401: ERRORS[401], 503: ERRORS[503]})
async def set_tour(body: TourIn, agent: Agent, ctx: Ctx) -> AgentOut:
    """Whether the inbox shows its first-run tour at the next login (kept on the profile)."""
    updated = agent.model_copy(update={"tour_done": body.done})
    await ctx.store.directory_command(d.PutAgent(actor=agent.id, agent=updated))
    await ctx.directory.refresh()
    return agent_out(updated)


@router.get("/me/presence", response_model=PresenceOut, responses={401: ERRORS[401]})
async def my_presence(agent: Agent, ctx: Ctx) -> PresenceOut:
    return PresenceOut(agent=agent.id, status=ctx.presence.status(agent.id))


@router.put(
    "/me/presence", response_model=PresenceOut, responses={401: ERRORS[401], 503: ERRORS[503]}
)
async def set_presence(body: PresenceIn, agent: Agent, ctx: Ctx) -> PresenceOut:
    """online / away / offline. While a stream is open the choice is kept alive by heartbeats;
    without one it lasts for the presence TTL."""
    await ctx.presence.choose(agent.id, body.status)
    return PresenceOut(agent=agent.id, status=body.status)
