"""A whole desk for inbox tests: its own nats-server, the store, the router and the inbox as
real processes, and a team in two departments (billing, tech) with every role.

The desk is shared by a module's tests (starting it costs seconds), so tests create their own
tickets and never depend on how many exist.
"""

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client

from contracts import commands as c
from contracts import directory as d
from contracts import subjects
from contracts.messages import InboundMessage, Sender
from services.inbox.passwords import hash_password
from services.runtime.broker import ensure_streams
from services.runtime.nats_server import NatsServer
from tests.integration.processes import ServiceProcess

PASSWORD = "correct horse 🐎"
# They know the inbox: the first-run tour is not shown to them (its own test makes a newcomer).
TEAM = [
    d.AgentView(
        id="anna", email="anna@desk.test", name="Анна", departments=["billing"], tour_done=True
    ),
    d.AgentView(
        id="boris", email="boris@desk.test", name="Борис", departments=["billing"], tour_done=True
    ),
    d.AgentView(
        id="tina", email="tina@desk.test", name="Tina", departments=["tech"], tour_done=True
    ),
    d.AgentView(
        id="sam",
        email="sam@desk.test",
        name="Sam",
        role="supervisor",
        departments=["billing"],
        tour_done=True,
    ),
    d.AgentView(id="root", email="root@desk.test", name="Root", role="admin", tour_done=True),
]
RULES = [
    d.RoutingRule(name="billing", match=d.RuleMatch(keywords=["оплата"]), department="billing"),
    d.RoutingRule(name="tech", match=d.RuleMatch(keywords=["ошибка"]), department="tech"),
]
_numbers = itertools.count(1)


@dataclass
class Desk:
    url: str
    nc: Client
    tokens: dict[str, str] = field(default_factory=dict)

    async def login(self, agent_id: str) -> str:
        if agent_id not in self.tokens:
            email = next(a.email for a in TEAM if a.id == agent_id)
            async with httpx.AsyncClient(base_url=self.url) as client:
                reply = await client.post(
                    "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
                )
                reply.raise_for_status()
                self.tokens[agent_id] = reply.json()["token"]
        return self.tokens[agent_id]

    async def as_(self, agent_id: str) -> httpx.AsyncClient:
        token = await self.login(agent_id)
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    async def call(self, agent_id: str, method: str, path: str, **kw: Any) -> httpx.Response:
        async with await self.as_(agent_id) as client:
            return await client.request(method, path, **kw)

    async def customer_writes(
        self, text: str, channel: str = "telegram", thread: str | None = None, **fields: Any
    ) -> str:
        """Publish an inbound message as an adapter would (`fields`: more of its fields);
        returns its thread key."""
        n = next(_numbers)
        thread = thread or f"chat-{n}"
        message = InboundMessage(
            channel=channel,  # type: ignore[arg-type]
            account="bot1",
            thread_key=thread,
            external_id=f"m-{n}",
            sender=Sender(channel_user_id=thread, display_name="Клиент"),
            text=text,
            **fields,
        )
        await self.nc.jetstream().publish(
            subjects.inbound(message.channel),
            message.to_bytes(),
            headers={"Nats-Msg-Id": message.dedupe_key},
        )
        return thread

    async def ticket_of(self, agent_id: str, thread: str, timeout: float = 15) -> dict[str, Any]:
        """The ticket of `thread` as `agent_id` lists it, once it has a department."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = await self.call("root", "GET", "/api/v1/tickets", params={"limit": 200})
            for item in found.json()["items"]:
                if item["department"] and f"telegram:{thread}" in item["contact"]["identities"]:
                    return dict(item)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no routed ticket for {thread}")
            await asyncio.sleep(0.1)


async def _put(nc: Client, command: d.DirectoryCommand) -> None:
    subject = subjects.directory_command(type(command).name)
    reply = c.COMMAND_REPLY.validate_json((await nc.request(subject, command.to_bytes(), 5)).data)
    assert reply.ok, reply


@pytest.fixture(scope="module")
def desk_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("desk")
    server = NatsServer(root / "nats", port=0).start()
    env = {
        "RELAYDESK_INBOX_SECRET": "test-secret-" + "x" * 32,
        "RELAYDESK_INBOX_PRESENCE_GRACE": "0.3",
        "RELAYDESK_ROUTER_SWEEP_INTERVAL": "0.5",
    }
    names = ("store", "router", "reports")
    running = [ServiceProcess(n, server.url, root / "var", **env) for n in names]
    try:
        for process in running:
            process.start()
        inbox = ServiceProcess("inbox", server.url, root / "var", **env)
        running.append(inbox)
        inbox.start()
        assert inbox.url
        yield server.url, inbox.url
    finally:
        for process in reversed(running):
            process.stop()
        server.stop()


@pytest.fixture(scope="module")
async def desk(desk_processes: tuple[str, str]) -> AsyncIterator[Desk]:
    nats_url, url = desk_processes
    nc = await nats.connect(nats_url)
    await ensure_streams(nc.jetstream())
    for name in ("billing", "tech", "support"):
        await _put(nc, d.PutDepartment(actor="t", department=d.DepartmentView(id=name, name=name)))
    secret = hash_password(PASSWORD)
    for agent in TEAM:
        await _put(nc, d.PutAgent(actor="t", agent=agent, password_hash=secret))
    await _put(nc, d.SetRoutingRules(actor="t", rules=RULES))
    yield Desk(url, nc)
    await nc.drain()
