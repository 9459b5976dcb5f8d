"""Tickets: list, search, open, create, and the audit trail. Changes live in `changes.py`."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime
from pydantic_core import to_json

from contracts import commands as c
from contracts import queries as q
from contracts.channels import Channel
from contracts.directory import AgentView
from contracts.messages import Sender
from contracts.tickets import Status
from services.inbox import permissions
from services.inbox.api.context import Agent, Ctx, Inbox
from services.inbox.api.errors import ERRORS, Invalid, NotFound
from services.inbox.api.schemas import (
    AuditList,
    AuditOut,
    NewTicket,
    TicketFull,
    TicketList,
    full_ticket_json,
    message_out,
    ticket_out,
)
from services.runtime.store_client import StoreRefused

router = APIRouter(prefix="/api/v1", tags=["tickets"], responses=ERRORS)


async def detail_for(
    ctx: Inbox, agent: AgentView, ticket_id: str, *, messages: bool = True
) -> q.TicketDetail:
    """The ticket and its conversation (or, with `messages=False`, its contact alone), if
    `agent` may see it; NotFound otherwise."""
    try:
        return await ctx.store.ticket(ticket_id, permissions.scope(agent), messages=messages)
    except StoreRefused as error:
        if error.code in ("not_found", "invalid"):
            raise NotFound(f"no ticket {ticket_id}") from error
        raise


def _full(detail: q.TicketDetail) -> TicketFull:
    base = ticket_out(detail.ticket, detail.contact).model_dump()
    return TicketFull(**base, messages=[message_out(m) for m in detail.messages])


def _page(page: q.TicketPage) -> TicketList:
    contacts = {contact.id: contact for contact in page.contacts}
    return TicketList(
        items=[ticket_out(t, contacts.get(t.contact_id)) for t in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/tickets", response_model=TicketList)
async def list_tickets(
    agent: Agent,
    ctx: Ctx,
    status: Annotated[list[Status] | None, Query()] = None,
    department: str | None = None,
    assignee: Annotated[str | None, Query(description="me, none, or an agent id")] = None,
    channel: Channel | None = None,
    tag: str | None = None,
    contact: Annotated[str | None, Query(description="A contact id: their tickets")] = None,
    number: Annotated[int | None, Query(ge=1, description="The ticket with this number")] = None,
    q_: Annotated[str | None, Query(alias="q", description="Full-text search")] = None,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: AwareDatetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    order: Annotated[
        Literal["recent", "queue"],
        Query(description="recent: newest activity first; queue: most urgent, then oldest"),
    ] = "recent",
) -> TicketList:
    """Within the agent's departments, newest activity first or in queue order."""
    query = q.ListTickets(
        departments=permissions.scope(agent),
        status=status,
        department=department,
        assignee=agent.id if assignee == "me" else assignee,
        channel=channel,
        tag=tag,
        contact_id=contact,
        number=number,
        q=q_ or None,
        since=from_,
        until=to,
        cursor=cursor,
        limit=limit,
        order=order,
        with_contacts=True,
    )
    return _page(await ctx.store.page(query))


@router.get("/search", response_model=TicketList)
async def search(
    agent: Agent,
    ctx: Ctx,
    q_: Annotated[str, Query(alias="q", min_length=1, max_length=500)],
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TicketList:
    """Full text over subjects, messages and contacts (name, email), any script."""
    query = q.ListTickets(
        departments=permissions.scope(agent), q=q_, cursor=cursor, limit=limit, with_contacts=True
    )
    return _page(await ctx.store.page(query))


@router.post("/tickets", response_model=TicketFull, status_code=201)
async def create_ticket(body: NewTicket, agent: Agent, ctx: Ctx) -> TicketFull:
    """Open a ticket for a customer (a phone call, an e-mail the agent starts)."""
    department = body.department or (agent.departments[0] if agent.departments else None)
    if department is not None and department not in ctx.directory.departments:
        raise Invalid(f"no such department: {department}", "department")
    if department is None and agent.role != "admin":
        raise Invalid("choose a department", "department")
    if not permissions.can_see(agent, department):
        raise permissions.Forbidden(f"you are not a member of {department}")
    contact = body.contact
    user_id = contact.channel_user_id or (contact.email if body.channel == "email" else None)
    user_id = user_id or contact.phone
    if not user_id:
        raise Invalid("the contact needs an email, a phone or a channel_user_id", "contact")
    sender = Sender(
        channel_user_id=user_id, display_name=contact.name, email=contact.email, phone=contact.phone
    )
    done = await ctx.store.command(
        c.CreateTicket(
            actor=agent.id,
            channel=body.channel,
            account=body.account,
            sender=sender,
            subject=body.subject,
            text=body.text,
            department=department,
            priority=body.priority,
            departments=permissions.scope(agent),
        )
    )
    if done.ticket is None:
        raise StoreRefused("internal", "the store answered a creation without its ticket")
    return _full(await detail_for(ctx, agent, done.ticket.id))


@router.get("/tickets/{ticket_id}", response_model=TicketFull)
async def get_ticket(ticket_id: str, agent: Agent, ctx: Ctx) -> Response:
    """The ticket with its whole conversation, oldest message first."""
    try:
        detail = await ctx.store.ticket_json(ticket_id, permissions.scope(agent))
    except StoreRefused as error:
        if error.code in ("not_found", "invalid"):
            raise NotFound(f"no ticket {ticket_id}") from error
        raise
    return Response(to_json(full_ticket_json(detail)), media_type="application/json")


@router.get("/tickets/{ticket_id}/audit", response_model=AuditList)
async def get_audit(ticket_id: str, agent: Agent, ctx: Ctx) -> AuditList:
    try:
        trail = await ctx.store.audit(ticket_id, permissions.scope(agent))
    except StoreRefused as error:
        raise NotFound(f"no ticket {ticket_id}") from error
    return AuditList(items=[AuditOut.model_validate(e.model_dump()) for e in trail.entries])
