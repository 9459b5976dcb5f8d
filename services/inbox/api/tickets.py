"""Tickets: list, search, open, create, reply, note, and every change an agent makes.

A change is one store command carrying the agent's departments and the version the agent saw:
the store refuses a ticket outside those departments (`forbidden`, answered 404 as if it did
not exist) or a stale version (409) in the same transaction as the write. Only a reply, a note
and an assignment read the ticket first (without its conversation): templates, signatures and
who may take whom need its department, assignee and contact.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime
from pydantic_core import to_json

from contracts import commands as c
from contracts import queries as q
from contracts.channels import Channel
from contracts.directory import AgentView
from contracts.messages import Sender
from contracts.tickets import ContactView, Status
from services.inbox import permissions, replies
from services.inbox.api.context import Agent, Ctx, Inbox
from services.inbox.api.errors import ERRORS, Invalid, NotFound
from services.inbox.api.schemas import (
    AssignIn,
    AuditList,
    AuditOut,
    ChangeResult,
    MergeIn,
    NewMessage,
    NewTicket,
    PriorityIn,
    SplitIn,
    StatusIn,
    TagsIn,
    TicketFull,
    TicketList,
    TransferIn,
    full_ticket_json,
    message_out,
    ticket_out,
)
from services.inbox.store import StoreRefused
from services.runtime.files import PREFIX

router = APIRouter(prefix="/api/v1", tags=["tickets"], responses=ERRORS)


async def detail_for(ctx: Inbox, agent: AgentView, ticket_id: str) -> q.TicketDetail:
    """The ticket and its conversation, if `agent` may see it; NotFound otherwise."""
    try:
        return await ctx.store.ticket(ticket_id, permissions.scope(agent))
    except StoreRefused as error:
        if error.code in ("not_found", "invalid"):
            raise NotFound(f"no ticket {ticket_id}") from error
        raise


def _full(detail: q.TicketDetail) -> TicketFull:
    base = ticket_out(detail.ticket, detail.contact).model_dump()
    return TicketFull(**base, messages=[message_out(m) for m in detail.messages])


async def _ticket_only(ctx: Inbox, agent: AgentView, ticket_id: str) -> q.TicketDetail:
    """The ticket and its contact, without the conversation; NotFound outside the scope."""
    try:
        return await ctx.store.ticket(ticket_id, permissions.scope(agent), messages=False)
    except StoreRefused as error:
        if error.code in ("not_found", "invalid"):
            raise NotFound(f"no ticket {ticket_id}") from error
        raise


async def _apply(
    ctx: Inbox,
    actor: AgentView,
    ticket_id: str,
    version: int | None,
    kind: Callable[..., c.Command],
    contact: ContactView | None = None,
    **fields: object,
) -> ChangeResult:
    """Send one `kind` command about the ticket, signed by `actor`, at `version`, within the
    actor's departments (the store's `forbidden` is a 404 here)."""
    command = kind(
        actor=actor.id,
        ticket_id=ticket_id,
        expected_version=version,
        departments=permissions.scope(actor),
        **fields,
    )
    try:
        done = await ctx.store.command(command)
    except StoreRefused as error:
        if error.code in ("forbidden", "not_found"):
            missing = fields["into"] if error.field == "into" else ticket_id
            raise NotFound(f"no ticket {missing}") from error
        raise
    if done.ticket is None:
        raise StoreRefused("internal", "the store answered a change without its ticket")
    return ChangeResult(
        ticket=ticket_out(done.ticket, contact),
        message=message_out(done.message) if done.message else None,
        related=[ticket_out(t) for t in done.related],
    )


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
    q_: Annotated[str | None, Query(alias="q", description="Full-text search")] = None,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: AwareDatetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TicketList:
    """Newest activity first, within the agent's departments."""
    query = q.ListTickets(
        departments=permissions.scope(agent),
        status=status,
        department=department,
        assignee=agent.id if assignee == "me" else assignee,
        channel=channel,
        tag=tag,
        contact_id=contact,
        q=q_ or None,
        since=from_,
        until=to,
        cursor=cursor,
        limit=limit,
        with_contacts=True,
    )
    return _page(await ctx.store.tickets(query))


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
    return _page(await ctx.store.tickets(query))


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


@router.post("/tickets/{ticket_id}/messages", response_model=ChangeResult, status_code=201)
async def add_message(ticket_id: str, body: NewMessage, agent: Agent, ctx: Ctx) -> ChangeResult:
    """A reply through the customer's channel, or with `internal` a note only agents see."""
    detail = await _ticket_only(ctx, agent, ticket_id)
    ticket, contact = detail.ticket, detail.contact
    text = body.text
    if body.template is not None:
        template = ctx.directory.templates.get(body.template)
        if template is None or not replies.usable(template, ticket.department):
            raise Invalid(f"no template {body.template} for this ticket", "template")
        if text:
            raise Invalid("send either text or a template, not both", "text")
        text = template.text
    if not text:
        raise Invalid("a message needs text", "text")
    for attachment in body.attachments:
        digest = (attachment.ref or "").removeprefix(PREFIX)
        if (
            not attachment.ref
            or not attachment.ref.startswith(PREFIX)
            or not ctx.files.path(digest)
        ):
            raise Invalid("attach files uploaded with POST /api/v1/files", "attachments")
    if body.attachments and body.internal:
        raise Invalid("internal notes carry no files", "attachments")
    text = replies.fill(text, ticket, contact, agent)
    if body.internal:
        return await _apply(ctx, agent, ticket.id, body.version, c.AddNote, contact, text=text)
    department = ctx.directory.departments.get(ticket.department or "")
    text = replies.with_signature(text, department, ticket, contact, agent)
    return await _apply(
        ctx,
        agent,
        ticket.id,
        body.version,
        c.AddReply,
        contact,
        text=text,
        attachments=body.attachments,
    )


@router.post("/tickets/{ticket_id}/assign", response_model=ChangeResult)
async def assign(ticket_id: str, body: AssignIn, agent: Agent, ctx: Ctx) -> ChangeResult:
    """Take a ticket (`"me"`), give it back (`null`), or as a supervisor give it to a member."""
    detail = await _ticket_only(ctx, agent, ticket_id)
    wanted = agent.id if body.agent == "me" else body.agent
    target = None
    if wanted is not None:
        target = ctx.directory.agent(wanted)
        if target is None:
            raise Invalid(f"no agent {wanted}", "agent")
    permissions.check_assign(agent, detail.ticket, target)
    return await _apply(
        ctx, agent, ticket_id, body.version, c.AssignTicket, detail.contact, agent=wanted
    )


@router.post("/tickets/{ticket_id}/transfer", response_model=ChangeResult)
async def transfer(ticket_id: str, body: TransferIn, agent: Agent, ctx: Ctx) -> ChangeResult:
    """Hand the ticket to another department; the router assigns it there."""
    if body.department not in ctx.directory.departments:
        raise Invalid(f"no such department: {body.department}", "department")
    return await _apply(
        ctx, agent, ticket_id, body.version, c.TransferTicket, department=body.department
    )


@router.post("/tickets/{ticket_id}/status", response_model=ChangeResult)
async def set_status(ticket_id: str, body: StatusIn, agent: Agent, ctx: Ctx) -> ChangeResult:
    return await _apply(ctx, agent, ticket_id, body.version, c.SetStatus, status=body.status)


@router.post("/tickets/{ticket_id}/priority", response_model=ChangeResult)
async def set_priority(ticket_id: str, body: PriorityIn, agent: Agent, ctx: Ctx) -> ChangeResult:
    return await _apply(ctx, agent, ticket_id, body.version, c.SetPriority, priority=body.priority)


@router.post("/tickets/{ticket_id}/tags", response_model=ChangeResult)
async def tag(ticket_id: str, body: TagsIn, agent: Agent, ctx: Ctx) -> ChangeResult:
    return await _apply(
        ctx, agent, ticket_id, body.version, c.TagTicket, add=body.add, remove=body.remove
    )


@router.post("/tickets/{ticket_id}/split", response_model=ChangeResult)
async def split(ticket_id: str, body: SplitIn, agent: Agent, ctx: Ctx) -> ChangeResult:
    """Move the chosen messages to a new ticket (returned as `ticket`)."""
    return await _apply(
        ctx, agent, ticket_id, body.version, c.SplitTicket, message_ids=body.message_ids
    )


@router.post("/tickets/{ticket_id}/merge", response_model=ChangeResult)
async def merge(ticket_id: str, body: MergeIn, agent: Agent, ctx: Ctx) -> ChangeResult:
    """Move every message into `into` (which must be visible too); this ticket closes."""
    return await _apply(ctx, agent, ticket_id, body.version, c.MergeTicket, into=body.into)
