"""Every change an agent makes to a ticket: reply, note, assign, transfer, status, priority,
tags, split, merge, escalation to a supervisor, and its customer's contact details.

A change is one store command carrying the agent's departments and the version the agent saw:
the store refuses a ticket outside those departments (`forbidden`, answered 404 as if it did
not exist) or a stale version (409) in the same transaction as the write. Only a reply, a note
and an assignment read the ticket first (without its conversation): templates, signatures and
who may take whom need its department, assignee and contact.
"""

from collections.abc import Callable

from fastapi import APIRouter

from contracts import commands as c
from contracts.base import utcnow
from contracts.directory import AgentView
from contracts.messages import Attachment
from contracts.tickets import ContactView
from services.inbox import permissions, receipts, replies
from services.inbox.api.context import Agent, Ctx, Inbox
from services.inbox.api.errors import ERRORS, Invalid, NotFound
from services.inbox.api.schemas import (
    AssignIn,
    ChangeResult,
    ContactIn,
    EscalateIn,
    MergeIn,
    NewMessage,
    PriorityIn,
    SplitIn,
    StatusIn,
    TagsIn,
    TransferIn,
    Upload,
    message_out,
    ticket_out,
)
from services.inbox.api.tickets import detail_for
from services.runtime.files import PREFIX
from services.runtime.store_client import StoreRefused

router = APIRouter(prefix="/api/v1", tags=["tickets"], responses=ERRORS)


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


@router.post("/tickets/{ticket_id}/messages", response_model=ChangeResult, status_code=201)
async def add_message(ticket_id: str, body: NewMessage, agent: Agent, ctx: Ctx) -> ChangeResult:
    """A reply through the customer's channel, or with `internal` a note only agents see."""
    detail = await detail_for(ctx, agent, ticket_id, messages=False)
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
    attachments = [await _attachable(ctx, agent, ticket.id, upload) for upload in body.attachments]
    if body.attachments and body.internal:
        raise Invalid("internal notes carry no files", "attachments")
    now = utcnow()
    text = replies.fill(text, ticket, contact, agent, now)
    if body.internal:
        return await _apply(ctx, agent, ticket.id, body.version, c.AddNote, contact, text=text)
    department = ctx.directory.departments.get(ticket.department or "")
    text = replies.with_signature(text, department, ticket, contact, agent, now)
    return await _apply(
        ctx,
        agent,
        ticket.id,
        body.version,
        c.AddReply,
        contact,
        text=text,
        attachments=attachments,
    )


async def _attachable(ctx: Inbox, agent: AgentView, ticket_id: str, upload: Upload) -> Attachment:
    """The file, if this agent uploaded it (their receipt) or this ticket already has it.
    Every refusal reads the same, so nobody learns whether a digest exists."""
    ref = upload.ref or ""
    known = ref.startswith(PREFIX) and ctx.files.path(ref.removeprefix(PREFIX)) is not None
    if known and receipts.holds(ctx.key, agent.id, ref, upload.receipt):
        return upload.attachment()
    if known:
        detail = await ctx.store.ticket(ticket_id, permissions.scope(agent))
        if any(a.ref == ref for m in detail.messages for a in m.attachments):
            return upload.attachment()
    raise Invalid("attach files uploaded with POST /api/v1/files", "attachments")


@router.post("/tickets/{ticket_id}/assign", response_model=ChangeResult)
async def assign(ticket_id: str, body: AssignIn, agent: Agent, ctx: Ctx) -> ChangeResult:
    """Take a ticket (`"me"`), give it back (`null`), or as a supervisor give it to a member."""
    detail = await detail_for(ctx, agent, ticket_id, messages=False)
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


@router.post("/tickets/{ticket_id}/escalate", response_model=ChangeResult)
async def escalate(ticket_id: str, body: EscalateIn, agent: Agent, ctx: Ctx) -> ChangeResult:
    """Hand a difficult conversation to a supervisor of its department (by hand: not the
    SLA's escalation). It is assigned to them, tagged `escalated`, and they are told."""
    if body.supervisor is not None:
        chosen = ctx.directory.agent(body.supervisor)
        if chosen is None or chosen.role not in ("supervisor", "admin"):
            raise Invalid(f"{body.supervisor} is not a supervisor", "supervisor")
    return await _apply(
        ctx,
        agent,
        ticket_id,
        body.version,
        c.EscalateTicket,
        supervisor=body.supervisor,
        reason=body.reason,
    )


@router.put("/tickets/{ticket_id}/contact", response_model=ChangeResult)
async def update_contact(ticket_id: str, body: ContactIn, agent: Agent, ctx: Ctx) -> ChangeResult:
    """Correct the customer's name, email, phone, language or time zone (the contact panel
    shows their local time from it)."""
    detail = await detail_for(ctx, agent, ticket_id, messages=False)
    command = c.UpdateContact(
        actor=agent.id,
        contact_id=detail.ticket.contact_id,
        display_name=body.name,
        email=body.email,
        phone=body.phone,
        language=body.language,
        timezone=body.timezone,
    )
    await ctx.store.command(command)
    after = await detail_for(ctx, agent, ticket_id, messages=False)
    return ChangeResult(ticket=ticket_out(after.ticket, after.contact))
