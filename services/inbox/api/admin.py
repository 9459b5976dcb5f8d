"""Configuration: departments (with their calendars), agents, reply templates, routing rules,
SLA policies and bot menus.

Everyone logged in reads departments and agents (to transfer and assign) and the templates of
their departments; admins change departments, agents and rules; supervisors also keep the
templates of their own departments.
"""

import asyncio

from fastapi import APIRouter, Response

from contracts import directory as d
from contracts.base import new_id
from services.inbox import permissions, replies
from services.inbox.api.configuration import (
    AgentIn,
    AgentList,
    DepartmentIn,
    DepartmentList,
    MenuList,
    MenusIn,
    RuleList,
    RulesIn,
    SlaPoliciesIn,
    SlaPolicyList,
    TemplateIn,
    TemplateList,
)
from services.inbox.api.context import Agent, Ctx, Inbox
from services.inbox.api.errors import ERRORS, Invalid, NotFound
from services.inbox.api.schemas import (
    AgentOut,
    agent_out,
)
from services.inbox.passwords import hash_password
from services.runtime.store_client import StoreRefused

router = APIRouter(prefix="/api/v1", tags=["configuration"], responses=ERRORS)


async def _write(ctx: Inbox, command: d.DirectoryCommand) -> None:
    await ctx.store.directory_command(command)
    await ctx.directory.refresh()  # the caller's next read must already see it


@router.get("/departments", response_model=DepartmentList)
async def list_departments(agent: Agent, ctx: Ctx) -> DepartmentList:
    return DepartmentList(items=list(ctx.directory.departments.values()))


@router.post("/departments", response_model=d.DepartmentView, status_code=201)
async def create_department(body: DepartmentIn, agent: Agent, ctx: Ctx) -> d.DepartmentView:
    permissions.check_admin(agent)
    if body.id in ctx.directory.departments:
        raise StoreRefused("conflict", f"department {body.id} exists", "id")
    department = d.DepartmentView.model_validate(body.model_dump())
    await _write(ctx, d.PutDepartment(actor=agent.id, department=department))
    return department


@router.put("/departments/{department_id}", response_model=d.DepartmentView)
async def update_department(
    department_id: str, body: DepartmentIn, agent: Agent, ctx: Ctx
) -> d.DepartmentView:
    permissions.check_admin(agent)
    if department_id not in ctx.directory.departments:
        raise NotFound(f"no department {department_id}")
    if body.id != department_id:
        raise Invalid("a department's id cannot change", "id")
    department = d.DepartmentView.model_validate(body.model_dump())
    await _write(ctx, d.PutDepartment(actor=agent.id, department=department))
    return department


@router.get("/agents", response_model=AgentList)
async def list_agents(agent: Agent, ctx: Ctx) -> AgentList:
    return AgentList(items=[agent_out(a) for a in ctx.directory.agents.values()])


def ends_sessions(before: d.AgentView, after: d.AgentView, body: AgentIn) -> bool:
    """A new password, another role or departments, or deactivation end the agent's tokens:
    whoever holds one must log in again under the new terms."""
    return bool(
        body.password
        or before.role != after.role
        or sorted(before.departments) != sorted(after.departments)
        or (before.active and not after.active)
    )


async def _put_agent(ctx: Inbox, actor: str, agent_id: str, body: AgentIn) -> AgentOut:
    agent = d.AgentView(id=agent_id, **body.model_dump(exclude={"password"}))
    if (before := ctx.directory.agent(agent_id)) is not None:
        agent.sessions = before.sessions + (1 if ends_sessions(before, agent, body) else 0)
        agent.tour_done = before.tour_done  # the agent's own choice, not the admin's
    # argon2 spends ~150 ms of CPU on purpose: off the event loop, like login's verify.
    password = await asyncio.to_thread(hash_password, body.password) if body.password else None
    await _write(ctx, d.PutAgent(actor=actor, agent=agent, password_hash=password))
    return agent_out(agent)


@router.post("/agents", response_model=AgentOut, status_code=201)
async def create_agent(body: AgentIn, agent: Agent, ctx: Ctx) -> AgentOut:
    permissions.check_admin(agent)
    if not body.password:
        raise Invalid("a new agent needs a password", "password")
    return await _put_agent(ctx, agent.id, new_id(), body)


@router.put("/agents/{agent_id}", response_model=AgentOut)
async def update_agent(agent_id: str, body: AgentIn, agent: Agent, ctx: Ctx) -> AgentOut:
    """Replace an agent's profile; `password` set changes it, omitted keeps it."""
    permissions.check_admin(agent)
    if agent_id not in ctx.directory.agents:
        raise NotFound(f"no agent {agent_id}")
    if agent_id == agent.id and (body.role != "admin" or not body.active):
        # Otherwise one slip locks the last admin out of the desk.
        raise permissions.Forbidden(
            "you cannot remove your own admin rights or deactivate yourself"
        )
    return await _put_agent(ctx, agent.id, agent_id, body)


@router.get("/templates", response_model=TemplateList)
async def list_templates(agent: Agent, ctx: Ctx) -> TemplateList:
    """The templates usable in the agent's departments (every one for admins)."""
    mine = [
        t
        for t in ctx.directory.templates.values()
        if agent.role == "admin"
        or any(replies.usable(t, department) for department in agent.departments)
    ]
    return TemplateList(items=sorted(mine, key=lambda t: t.name.casefold()))


@router.post("/templates", response_model=d.ReplyTemplate, status_code=201)
async def create_template(body: TemplateIn, agent: Agent, ctx: Ctx) -> d.ReplyTemplate:
    permissions.check_template(agent, body.department)
    template = d.ReplyTemplate(**body.model_dump())
    await _write(ctx, d.PutTemplate(actor=agent.id, template=template))
    return template


def _template(ctx: Inbox, agent: d.AgentView, template_id: str) -> d.ReplyTemplate:
    template = ctx.directory.templates.get(template_id)
    if template is None:
        raise NotFound(f"no template {template_id}")
    permissions.check_template(agent, template.department)
    return template


@router.put("/templates/{template_id}", response_model=d.ReplyTemplate)
async def update_template(
    template_id: str, body: TemplateIn, agent: Agent, ctx: Ctx
) -> d.ReplyTemplate:
    _template(ctx, agent, template_id)
    permissions.check_template(agent, body.department)
    template = d.ReplyTemplate(id=template_id, **body.model_dump())
    await _write(ctx, d.PutTemplate(actor=agent.id, template=template))
    return template


@router.delete("/templates/{template_id}", status_code=204, response_class=Response)
async def delete_template(template_id: str, agent: Agent, ctx: Ctx) -> Response:
    _template(ctx, agent, template_id)
    await _write(ctx, d.DeleteTemplate(actor=agent.id, template_id=template_id))
    return Response(status_code=204)


@router.get("/routing-rules", response_model=RuleList)
async def list_rules(agent: Agent, ctx: Ctx) -> RuleList:
    """In order: the first matching rule with `stop` decides."""
    if agent.role == "agent":
        raise permissions.Forbidden("only supervisors and admins see routing rules")
    return RuleList(items=ctx.directory.current.rules)


@router.put("/routing-rules", response_model=RuleList)
async def set_rules(body: RulesIn, agent: Agent, ctx: Ctx) -> RuleList:
    """Replace the whole ordered list at once."""
    permissions.check_admin(agent)
    await _write(ctx, d.SetRoutingRules(actor=agent.id, rules=body.rules))
    return RuleList(items=body.rules)


@router.get("/sla-policies", response_model=SlaPolicyList)
async def list_sla_policies(agent: Agent, ctx: Ctx) -> SlaPolicyList:
    """In order: the first enabled policy whose conditions hold applies to a ticket."""
    if agent.role == "agent":
        raise permissions.Forbidden("only supervisors and admins see SLA policies")
    return SlaPolicyList(items=ctx.directory.current.sla_policies)


@router.put("/sla-policies", response_model=SlaPolicyList)
async def set_sla_policies(body: SlaPoliciesIn, agent: Agent, ctx: Ctx) -> SlaPolicyList:
    """Replace the whole ordered list at once; tickets take a new policy at their next change."""
    permissions.check_admin(agent)
    await _write(ctx, d.SetSlaPolicies(actor=agent.id, policies=body.policies))
    return SlaPolicyList(items=body.policies)


@router.get("/menus", response_model=MenuList)
async def list_menus(agent: Agent, ctx: Ctx) -> MenuList:
    """Every account's bot menu."""
    if agent.role == "agent":
        raise permissions.Forbidden("only supervisors and admins see bot menus")
    return MenuList(items=ctx.directory.current.menus)


@router.put("/menus", response_model=MenuList)
async def set_menus(body: MenusIn, agent: Agent, ctx: Ctx) -> MenuList:
    """Replace every menu at once (one per channel and account)."""
    permissions.check_admin(agent)
    await _write(ctx, d.SetMenus(actor=agent.id, menus=body.menus))
    return MenuList(items=body.menus)
