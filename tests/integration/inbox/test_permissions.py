"""The permission matrix: every operation in the OpenAPI document has a case here showing that
an agent of one department cannot reach another's tickets, and that configuration is kept for
admins. A new endpoint without a case fails `test_every_operation_has_a_permission_case`."""

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from nats.aio.msg import Msg

from contracts import subjects
from tests.integration.inbox.conftest import PASSWORD, Desk

pytestmark = pytest.mark.integration


@dataclass
class World:
    billing: str  # a billing ticket
    tech: str  # a tech ticket
    billing_template: str
    tech_template: str


Case = Callable[[Desk, World], Awaitable[None]]


def _ids(reply: httpx.Response) -> set[str]:
    assert reply.status_code == 200, reply.text
    return {item["id"] for item in reply.json()["items"]}


async def login_is_public(desk: Desk, w: World) -> None:
    async with httpx.AsyncClient(base_url=desk.url) as anonymous:
        body = {"email": "tina@desk.test", "password": PASSWORD}
        assert (await anonymous.post("/api/v1/auth/login", json=body)).status_code == 200


async def logout_ends_only_your_own_tokens(desk: Desk, w: World) -> None:
    token = await _new_agent_token(desk, "leaver")
    async with httpx.AsyncClient(
        base_url=desk.url, headers={"Authorization": f"Bearer {token}"}
    ) as leaver:
        assert (await leaver.post("/api/v1/auth/logout")).status_code == 204
        assert (await leaver.get("/api/v1/me")).status_code == 401
    assert (await desk.call("tina", "GET", "/api/v1/me")).status_code == 200


async def _new_agent_token(desk: Desk, name: str, **fields: object) -> str:
    """A fresh agent of tech (so the shared desk's agents keep their tokens) and a token."""
    body = {"email": f"{name}@desk.test", "name": name, "departments": ["tech"], **fields}
    made = await desk.call("root", "POST", "/api/v1/agents", json={**body, "password": PASSWORD})
    assert made.status_code == 201, made.text
    async with httpx.AsyncClient(base_url=desk.url) as client:
        login = {"email": f"{name}@desk.test", "password": PASSWORD}
        reply = await client.post("/api/v1/auth/login", json=login)
    assert reply.status_code == 200, reply.text
    token: str = reply.json()["token"]
    return token


async def me_is_yourself(desk: Desk, w: World) -> None:
    assert (await desk.call("tina", "GET", "/api/v1/me")).json()["id"] == "tina"


async def presence_is_yours(desk: Desk, w: World) -> None:
    assert (await desk.call("tina", "GET", "/api/v1/me/presence")).json()["agent"] == "tina"


async def set_presence_is_yours(desk: Desk, w: World) -> None:
    reply = await desk.call("tina", "PUT", "/api/v1/me/presence", json={"status": "away"})
    assert reply.json()["agent"] == "tina"


async def tour_choice_is_yours(desk: Desk, w: World) -> None:
    changed = await desk.call("tina", "PUT", "/api/v1/me/tour", json={"done": False})
    anna = (await desk.call("anna", "GET", "/api/v1/me")).json()
    await desk.call("tina", "PUT", "/api/v1/me/tour", json={"done": True})
    assert changed.json()["id"] == "tina" and changed.json()["tour_done"] is False
    assert anna["tour_done"] is True


async def list_hides_other_departments(desk: Desk, w: World) -> None:
    everything = await desk.call("tina", "GET", "/api/v1/tickets", params={"limit": 200})
    asked = await desk.call("tina", "GET", "/api/v1/tickets", params={"department": "billing"})
    supervisor = await desk.call("sam", "GET", "/api/v1/tickets", params={"limit": 200})
    assert w.billing not in _ids(everything) and w.tech in _ids(everything)
    assert _ids(asked) == set()
    assert w.tech not in _ids(supervisor) and w.billing in _ids(supervisor)


async def create_only_in_own_departments(desk: Desk, w: World) -> None:
    body = {"contact": {"email": "x@y.test"}, "text": "hi", "department": "billing"}
    assert (await desk.call("tina", "POST", "/api/v1/tickets", json=body)).status_code == 403


async def search_hides_other_departments(desk: Desk, w: World) -> None:
    reply = await desk.call("tina", "GET", "/api/v1/search", params={"q": "квитанция"})
    assert _ids(reply) == set()
    assert w.billing in _ids(
        await desk.call("anna", "GET", "/api/v1/search", params={"q": "квитанция"})
    )


def other_departments_ticket(method: str, suffix: str, body: dict[str, Any] | None) -> Case:
    async def case(desk: Desk, w: World) -> None:
        for who, ticket in (("tina", w.billing), ("sam", w.tech)):
            reply = await desk.call(who, method, f"/api/v1/tickets/{ticket}{suffix}", json=body)
            assert reply.status_code == 404, (who, suffix, reply.text)

    return case


async def merge_into_an_invisible_ticket(desk: Desk, w: World) -> None:
    path = f"/api/v1/tickets/{w.billing}/merge"
    assert (await desk.call("anna", "POST", path, json={"into": w.tech})).status_code == 404
    await other_departments_ticket("POST", "/merge", {"into": w.billing})(desk, w)


async def portal_link_for_tickets_you_see(desk: Desk, w: World) -> None:
    """The inbox asks the portal (here a stand-in on the bus) only for a ticket the agent
    sees, and says plainly when no portal runs."""
    await other_departments_ticket("POST", "/portal-link", None)(desk, w)
    path = f"/api/v1/tickets/{w.tech}/portal-link"
    without = await desk.call("tina", "POST", path)
    asked: list[str] = []

    async def portal(msg: Msg) -> None:
        asked.append(json.loads(msg.data)["ticket_id"])
        await msg.respond(b'{"url": "http://p/portal/#link=x", "expires_at": 1800000000}')

    sub = await desk.nc.subscribe(subjects.PORTAL_LINK, cb=portal)
    made = await desk.call("tina", "POST", path)
    await sub.unsubscribe()
    assert without.status_code == 503, without.text
    assert made.json()["url"] == "http://p/portal/#link=x" and asked == [w.tech]


async def upload_is_yours(desk: Desk, w: World) -> None:
    # Uploading reveals nothing; a file is reachable only through a ticket that carries it.
    reply = await desk.call("tina", "POST", "/api/v1/files", params={"name": "a"}, content=b"x")
    assert reply.status_code == 201


async def report_counts_own_departments(desk: Desk, w: World) -> None:
    reply = await desk.call("tina", "GET", "/api/v1/reports/queue")
    assert "billing" not in reply.json()["by_status"]
    csv = await desk.call("tina", "GET", "/api/v1/reports/queue", params={"format": "csv"})
    assert "billing" not in csv.text


def readable_by_everyone(path: str) -> Case:
    async def case(desk: Desk, w: World) -> None:
        assert (await desk.call("tina", "GET", path)).status_code == 200

    return case


def admins_only(method: str, path: str, body: dict[str, Any]) -> Case:
    async def case(desk: Desk, w: World) -> None:
        for who in ("anna", "sam"):
            reply = await desk.call(who, method, path, json=body)
            assert reply.status_code == 403, (who, path, reply.text)

    return case


async def templates_of_own_departments(desk: Desk, w: World) -> None:
    seen = _ids(await desk.call("tina", "GET", "/api/v1/templates"))
    assert w.tech_template in seen and w.billing_template not in seen


async def supervisor_writes_own_templates(desk: Desk, w: World) -> None:
    body = {"name": "x", "text": "y", "department": "tech"}
    assert (await desk.call("sam", "POST", "/api/v1/templates", json=body)).status_code == 403
    body["department"] = "billing"
    assert (await desk.call("anna", "POST", "/api/v1/templates", json=body)).status_code == 403


async def template_update_refused(desk: Desk, w: World) -> None:
    body = {"name": "x", "text": "y", "department": "billing"}
    path = f"/api/v1/templates/{w.tech_template}"
    assert (await desk.call("sam", "PUT", path, json=body)).status_code == 403
    path = f"/api/v1/templates/{w.billing_template}"
    assert (await desk.call("tina", "PUT", path, json=body)).status_code == 403


async def template_delete_refused(desk: Desk, w: World) -> None:
    for who, template in (("tina", w.billing_template), ("sam", w.tech_template)):
        path = f"/api/v1/templates/{template}"
        assert (await desk.call(who, "DELETE", path)).status_code == 403


async def rules_hidden_from_agents(desk: Desk, w: World) -> None:
    assert (await desk.call("anna", "GET", "/api/v1/routing-rules")).status_code == 403
    assert (await desk.call("sam", "GET", "/api/v1/routing-rules")).status_code == 200


async def sla_policies_hidden_from_agents(desk: Desk, w: World) -> None:
    assert (await desk.call("anna", "GET", "/api/v1/sla-policies")).status_code == 403
    assert (await desk.call("sam", "GET", "/api/v1/sla-policies")).status_code == 200


async def reports_within_scope(desk: Desk, w: World) -> None:
    """Figures of other departments never show; an agent's per-agent rows are their own."""
    asked = {"department": "billing"}
    tina = await desk.call("tina", "GET", "/api/v1/reports/volume", params=asked)
    sam = await desk.call("sam", "GET", "/api/v1/reports/volume", params={"department": "tech"})
    root = await desk.call("root", "GET", "/api/v1/reports/volume", params=asked)
    per_agent = await desk.call(
        "tina", "GET", "/api/v1/reports/response_times", params={"group": "agent"}
    )
    assert tina.status_code == sam.status_code == root.status_code == 200, tina.text
    assert tina.json()["rows"] == [] and sam.json()["rows"] == []
    assert sum(row[1] for row in root.json()["rows"]) >= 1  # the billing ticket
    assert {row[0] for row in per_agent.json()["rows"]} <= {"tina"}
    for table in ("heatmap", "response_times", "sla", "csat", "backlog"):
        csv = await desk.call("tina", "GET", f"/api/v1/reports/{table}", params={"format": "csv"})
        assert csv.status_code == 200 and "billing" not in csv.text, (table, csv.text)


async def menus_hidden_from_agents(desk: Desk, w: World) -> None:
    assert (await desk.call("anna", "GET", "/api/v1/menus")).status_code == 403
    assert (await desk.call("sam", "GET", "/api/v1/menus")).status_code == 200


AGENT = {"email": "new@desk.test", "name": "New", "departments": ["tech"], "password": "p" * 10}
DEPARTMENT = {"id": "billing", "name": "Hijacked"}
MATRIX: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/auth/login"): login_is_public,
    ("POST", "/api/v1/auth/logout"): logout_ends_only_your_own_tokens,
    ("GET", "/api/v1/me"): me_is_yourself,
    ("GET", "/api/v1/me/presence"): presence_is_yours,
    ("PUT", "/api/v1/me/presence"): set_presence_is_yours,
    ("PUT", "/api/v1/me/tour"): tour_choice_is_yours,
    ("GET", "/api/v1/tickets"): list_hides_other_departments,
    ("POST", "/api/v1/tickets"): create_only_in_own_departments,
    ("GET", "/api/v1/search"): search_hides_other_departments,
    ("GET", "/api/v1/tickets/{ticket_id}"): other_departments_ticket("GET", "", None),
    ("GET", "/api/v1/tickets/{ticket_id}/audit"): other_departments_ticket("GET", "/audit", None),
    ("POST", "/api/v1/tickets/{ticket_id}/messages"): other_departments_ticket(
        "POST", "/messages", {"text": "hello", "internal": False}
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/assign"): other_departments_ticket(
        "POST", "/assign", {"agent": "me"}
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/transfer"): other_departments_ticket(
        "POST", "/transfer", {"department": "support"}
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/status"): other_departments_ticket(
        "POST", "/status", {"status": "closed"}
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/priority"): other_departments_ticket(
        "POST", "/priority", {"priority": "low"}
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/tags"): other_departments_ticket(
        "POST", "/tags", {"add": ["x"]}
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/split"): other_departments_ticket(
        "POST", "/split", {"message_ids": ["m"]}
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/merge"): merge_into_an_invisible_ticket,
    ("POST", "/api/v1/tickets/{ticket_id}/typing"): other_departments_ticket(
        "POST", "/typing", None
    ),
    ("GET", "/api/v1/reports/queue"): report_counts_own_departments,
    ("POST", "/api/v1/files"): upload_is_yours,
    ("POST", "/api/v1/tickets/{ticket_id}/portal-link"): portal_link_for_tickets_you_see,
    ("GET", "/api/v1/tickets/{ticket_id}/files/{digest}"): other_departments_ticket(
        "GET", "/files/" + "0" * 64, None
    ),
    ("GET", "/api/v1/departments"): readable_by_everyone("/api/v1/departments"),
    ("POST", "/api/v1/departments"): admins_only(
        "POST", "/api/v1/departments", {"id": "x", "name": "X"}
    ),
    ("PUT", "/api/v1/departments/{department_id}"): admins_only(
        "PUT", "/api/v1/departments/billing", DEPARTMENT
    ),
    ("GET", "/api/v1/agents"): readable_by_everyone("/api/v1/agents"),
    ("POST", "/api/v1/agents"): admins_only("POST", "/api/v1/agents", AGENT),
    ("PUT", "/api/v1/agents/{agent_id}"): admins_only(
        "PUT", "/api/v1/agents/anna", {**AGENT, "email": "anna@desk.test", "role": "admin"}
    ),
    ("GET", "/api/v1/templates"): templates_of_own_departments,
    ("POST", "/api/v1/templates"): supervisor_writes_own_templates,
    ("PUT", "/api/v1/templates/{template_id}"): template_update_refused,
    ("DELETE", "/api/v1/templates/{template_id}"): template_delete_refused,
    ("GET", "/api/v1/routing-rules"): rules_hidden_from_agents,
    ("PUT", "/api/v1/routing-rules"): admins_only("PUT", "/api/v1/routing-rules", {"rules": []}),
    ("POST", "/api/v1/tickets/{ticket_id}/escalate"): other_departments_ticket(
        "POST", "/escalate", {"reason": "грубит"}
    ),
    ("PUT", "/api/v1/tickets/{ticket_id}/contact"): other_departments_ticket(
        "PUT", "/contact", {"timezone": "Asia/Vladivostok"}
    ),
    ("GET", "/api/v1/sla-policies"): sla_policies_hidden_from_agents,
    ("GET", "/api/v1/menus"): menus_hidden_from_agents,
    ("GET", "/api/v1/reports/{table}"): reports_within_scope,
    ("PUT", "/api/v1/menus"): admins_only("PUT", "/api/v1/menus", {"menus": []}),
    ("PUT", "/api/v1/sla-policies"): admins_only("PUT", "/api/v1/sla-policies", {"policies": []}),
}


async def operations(desk: Desk) -> set[tuple[str, str]]:
    async with httpx.AsyncClient(base_url=desk.url) as client:
        spec = (await client.get("/api/v1/openapi.json")).json()
    return {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}


@pytest.fixture(scope="module")
async def world(desk: Desk) -> World:
    billing = await desk.ticket_of("root", await desk.customer_writes("оплата: квитанция"))
    tech = await desk.ticket_of("root", await desk.customer_writes("ошибка 500"))
    made = []
    for department in ("billing", "tech"):
        body = {"name": f"t-{department}", "text": "ok", "department": department}
        reply = await desk.call("root", "POST", "/api/v1/templates", json=body)
        made.append(reply.json()["id"])
    return World(billing["id"], tech["id"], *made)


async def test_every_operation_has_a_permission_case(desk: Desk) -> None:
    assert await operations(desk) == set(MATRIX)


@pytest.mark.parametrize("operation", sorted(MATRIX), ids=" ".join)
async def test_permission(desk: Desk, world: World, operation: tuple[str, str]) -> None:
    await MATRIX[operation](desk, world)


async def test_every_operation_but_login_needs_a_token(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.url) as anonymous:
        for method, path in sorted(await operations(desk)):
            if path == "/api/v1/auth/login":
                continue
            concrete = path.replace("{ticket_id}", "x").replace("{template_id}", "x")
            concrete = concrete.replace("{department_id}", "x").replace("{agent_id}", "x")
            concrete = concrete.replace("{digest}", "x").replace("{table}", "volume")
            reply = await anonymous.request(method, concrete, json={})
            assert reply.status_code == 401, (method, path, reply.status_code)


async def test_a_ticket_transferred_away_disappears_at_once(desk: Desk) -> None:
    ticket = await desk.ticket_of("anna", await desk.customer_writes("оплата, но про ошибку"))
    path = f"/api/v1/tickets/{ticket['id']}"

    moved = await desk.call("anna", "POST", f"{path}/transfer", json={"department": "tech"})
    after = await desk.call("anna", "GET", path)

    assert moved.status_code == 200
    assert after.status_code == 404
    assert (await desk.call("tina", "GET", path)).status_code == 200


async def test_a_change_outside_the_agents_departments_is_refused_by_the_store_unread(
    desk: Desk, world: World
) -> None:
    spy = await desk.nc.subscribe("queries.ticket.get")
    command = await desk.nc.subscribe("commands.ticket.status")
    path = f"/api/v1/tickets/{world.billing}/status"

    reply = await desk.call("tina", "POST", path, json={"status": "closed"})

    sent = (await command.next_msg(timeout=5)).data
    await desk.nc.flush()
    reads = spy.pending_msgs
    await spy.unsubscribe()
    await command.unsubscribe()
    assert reply.status_code == 404, reply.text
    assert reads == 0
    assert b'"departments":["tech"]' in sent


@pytest.mark.parametrize(
    ("change", "ends"),
    [
        ({"password": "новый-пароль-42"}, True),
        ({"role": "supervisor"}, True),
        ({"departments": ["billing"]}, True),
        ({"active": False}, True),
        ({"capacity": 3}, False),
    ],
)
async def test_a_new_password_role_departments_or_deactivation_end_the_agents_tokens(
    desk: Desk, change: dict[str, Any], ends: bool
) -> None:
    name = f"changed-{next(iter(change))}"
    token = await _new_agent_token(desk, name)
    agent_id = next(
        a["id"] for a in (await desk.call("root", "GET", "/api/v1/agents")).json()["items"]
        if a["email"] == f"{name}@desk.test"
    )  # fmt: skip
    body = {"email": f"{name}@desk.test", "name": name, "departments": ["tech"], **change}

    changed = await desk.call("root", "PUT", f"/api/v1/agents/{agent_id}", json=body)
    async with httpx.AsyncClient(
        base_url=desk.url, headers={"Authorization": f"Bearer {token}"}
    ) as holder:
        me = await holder.get("/api/v1/me")

    assert changed.status_code == 200, changed.text
    assert me.status_code == (401 if ends else 200)


async def test_creating_a_ticket_for_another_departments_customer_reveals_nothing_of_them(
    desk: Desk,
) -> None:
    thread = await desk.customer_writes("оплата не прошла")
    billing = await desk.ticket_of("anna", thread)
    body = {
        "channel": "telegram",
        "account": "bot1",
        "contact": {"channel_user_id": thread, "name": "Кто угодно"},
        "text": "Проверка",
        "department": "tech",
    }

    created = await desk.call("tina", "POST", "/api/v1/tickets", json=body)
    customer = (await desk.call("anna", "GET", f"/api/v1/tickets/{billing['id']}")).json()

    assert created.status_code == 201, created.text
    contact = created.json()["contact"]
    assert contact["id"] != billing["contact"]["id"] and contact["name"] == "Кто угодно"
    assert "Клиент" not in created.text
    assert customer["contact"]["name"] == "Клиент"
