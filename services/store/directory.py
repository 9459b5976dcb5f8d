"""Directory commands: agents, departments, reply templates and routing rules.

Each write is validated against what it refers to (an agent's departments, a rule's
department must exist), audited, and announced as `directory.changed` after commit.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from contracts import commands as c
from contracts import directory as d
from services.sla.business_hours import supported_countries
from services.store import service_levels
from services.store.errors import Conflict, Invalid, NotFound
from services.store.records import AuditEntry, Outcome
from services.store.repository import UnitOfWork

RULES_ID = "all"
MENUS_ID = "all"


async def _departments(uow: UnitOfWork) -> set[str]:
    return {d.DepartmentView.model_validate_json(doc).id for doc in await uow.items("department")}


async def _require(uow: UnitOfWork, wanted: list[str], field: str) -> None:
    unknown = sorted(set(wanted) - await _departments(uow))
    if unknown:
        raise Invalid(f"no such department: {', '.join(unknown)}", field)


def _changed(cmd: Any, kind: d.Kind, item_id: str, deleted: bool = False) -> Outcome:
    return Outcome(c.CommandOk(), [d.DirectoryChanged(kind=kind, item_id=item_id, deleted=deleted)])


async def _audit(uow: UnitOfWork, cmd: Any, kind: str, item_id: str, doc: dict[str, Any]) -> None:
    await uow.add_audit([AuditEntry(f"{kind}:{item_id}", cmd.actor, f"put_{kind}", doc)])


async def on_put_agent(uow: UnitOfWork, cmd: d.PutAgent) -> Outcome:
    agent = cmd.agent
    await _require(uow, agent.departments, "agent.departments")
    for doc in await uow.items("agent"):
        other = d.AgentView.model_validate_json(doc)
        if other.email == agent.email and other.id != agent.id:
            raise Conflict(f"another agent already uses {agent.email}", "agent.email")
    await uow.put_item("agent", agent.id, agent.model_dump_json(), email=agent.email)
    if cmd.password_hash:
        await uow.set_secret(agent.id, cmd.password_hash)
    await _audit(uow, cmd, "agent", agent.id, agent.model_dump(mode="json"))
    return _changed(cmd, "agent", agent.id)


async def on_put_department(uow: UnitOfWork, cmd: d.PutDepartment) -> Outcome:
    department = cmd.department
    calendar = department.calendar
    if calendar and calendar.country and calendar.country not in supported_countries():
        raise Invalid(f"no public holidays known for {calendar.country}", "calendar.country")
    service_levels.forget(uow)
    await uow.put_item("department", department.id, department.model_dump_json())
    await _audit(uow, cmd, "department", department.id, department.model_dump(mode="json"))
    return _changed(cmd, "department", department.id)


async def on_put_template(uow: UnitOfWork, cmd: d.PutTemplate) -> Outcome:
    template = cmd.template
    if template.department:
        await _require(uow, [template.department], "template.department")
    await uow.put_item("template", template.id, template.model_dump_json())
    await _audit(uow, cmd, "template", template.id, template.model_dump(mode="json"))
    return _changed(cmd, "template", template.id)


async def on_delete_template(uow: UnitOfWork, cmd: d.DeleteTemplate) -> Outcome:
    if not await uow.delete_item("template", cmd.template_id):
        raise NotFound(f"no template {cmd.template_id}", "template_id")
    await _audit(uow, cmd, "template", cmd.template_id, {"deleted": True})
    return _changed(cmd, "template", cmd.template_id, deleted=True)


async def on_set_rules(uow: UnitOfWork, cmd: d.SetRoutingRules) -> Outcome:
    await _require(uow, [r.department for r in cmd.rules if r.department], "rules")
    rules = d.Directory(rules=cmd.rules).model_dump_json(include={"rules"})
    await uow.put_item("rules", RULES_ID, rules)
    await _audit(uow, cmd, "rules", RULES_ID, {"count": len(cmd.rules)})
    return _changed(cmd, "rules", RULES_ID)


async def on_set_sla(uow: UnitOfWork, cmd: d.SetSlaPolicies) -> Outcome:
    wanted = [x for p in cmd.policies for x in p.match.departments]
    await _require(uow, wanted, "policies")
    policies = d.Directory(sla_policies=cmd.policies).model_dump_json(include={"sla_policies"})
    await uow.put_item("sla", service_levels.SLA_ID, policies)
    service_levels.forget(uow)
    await _audit(uow, cmd, "sla", service_levels.SLA_ID, {"count": len(cmd.policies)})
    return _changed(cmd, "sla", service_levels.SLA_ID)


async def on_set_menus(uow: UnitOfWork, cmd: d.SetMenus) -> Outcome:
    wanted = [n.department for m in cmd.menus for n in _nodes(m.nodes) if n.department]
    await _require(uow, wanted, "menus")
    accounts = [(m.channel, m.account) for m in cmd.menus]
    if len(set(accounts)) != len(accounts):
        raise Invalid("one menu per channel and account", "menus")
    menus = d.Directory(menus=cmd.menus).model_dump_json(include={"menus"})
    await uow.put_item("menus", MENUS_ID, menus)
    service_levels.forget(uow)
    await _audit(uow, cmd, "menus", MENUS_ID, {"count": len(cmd.menus)})
    return _changed(cmd, "menus", MENUS_ID)


def _nodes(nodes: list[d.MenuNode]) -> list[d.MenuNode]:
    return [x for n in nodes for x in (n, *_nodes(n.children))]


DIRECTORY_HANDLERS: dict[type[Any], Callable[[UnitOfWork, Any], Awaitable[Outcome]]] = {
    d.PutAgent: on_put_agent,
    d.PutDepartment: on_put_department,
    d.PutTemplate: on_put_template,
    d.DeleteTemplate: on_delete_template,
    d.SetRoutingRules: on_set_rules,
    d.SetSlaPolicies: on_set_sla,
    d.SetMenus: on_set_menus,
}
