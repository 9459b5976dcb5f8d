"""Router decisions over time, with the store and a router on real NATS: transfers,
assignment timeouts and agents going offline (the clock is moved, not waited for)."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from contracts import commands as c
from contracts import directory as d
from contracts import queries as q
from contracts import subjects
from contracts.tickets import TicketView
from router.dispatch import Dispatcher
from router.presence import Presence
from services.runtime.nats_server import NatsServer
from services.runtime.store_client import StoreClient
from tests.integration.processes import ServiceProcess
from tests.integration.router.agents import set_status
from tests.integration.router.test_routing import FAST, setup_directory
from tests.integration.test_store import message, publish_all

pytestmark = pytest.mark.integration
AGENTS = [
    d.AgentView(id="b1", email="b1@desk.ru", name="Борис", departments=["billing"], capacity=1),
    d.AgentView(id="b2", email="b2@desk.ru", name="Вера", departments=["billing"], capacity=1),
    d.AgentView(id="t1", email="t1@desk.ru", name="Тимур", departments=["tech"], capacity=5),
]


@pytest.fixture
async def desk(
    nats_server: NatsServer, nc: Client, js: JetStreamContext, data_dir: Path
) -> AsyncIterator[Dispatcher]:
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    await setup_directory(nc, AGENTS, assignment_timeout_minutes=1, offline_grace_minutes=1)
    presence = await Presence.open(js, ttl=60)
    for agent in AGENTS:
        await set_status(presence, agent.id, "online")
    router = ServiceProcess("router", nats_server.url, data_dir, **FAST).start()
    dispatcher = Dispatcher(StoreClient(nc), presence, "support")
    await dispatcher.refresh()
    yield dispatcher
    router.stop()
    store.stop()


async def wait_for(
    nc: Client, check: Callable[[TicketView], bool], timeout: float = 20
) -> TicketView:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tickets = await StoreClient(nc).all_tickets(q.ListTickets())
        if tickets and check(tickets[0]):
            return tickets[0]
        await asyncio.sleep(0.2)
    raise TimeoutError(f"ticket never matched: {tickets}")


async def audit(nc: Client, ticket_id: str) -> list[q.AuditRecord]:
    reply = await nc.request(subjects.query("audit"), q.GetAudit(ticket_id=ticket_id).to_bytes())
    return q.AuditTrail.model_validate_json(reply.data).entries


async def first_assigned(nc: Client, js: JetStreamContext) -> TicketView:
    await publish_all(js, [message(1, 1, "Не проходит оплата")])
    return await wait_for(nc, lambda t: t.assignee is not None)


async def test_a_transferred_ticket_is_assigned_inside_the_new_department(
    desk: Dispatcher, nc: Client, js: JetStreamContext
) -> None:
    ticket = await first_assigned(nc, js)
    assert ticket.department == "billing"

    command = c.TransferTicket(actor=ticket.assignee or "", ticket_id=ticket.id, department="tech")
    await nc.request(subjects.command("transfer"), command.to_bytes(), timeout=5)
    moved = await wait_for(nc, lambda t: t.department == "tech" and t.assignee is not None)

    assert moved.assignee == "t1"
    trail = [(e.actor, e.action, e.detail.get("to")) for e in await audit(nc, ticket.id)]
    departments = [(actor, to["department"]) for actor, _, to in trail if to and "department" in to]
    assert departments == [("router", "billing"), (ticket.assignee, "tech")]
    assert trail[-1] == ("router", "assigned", {"assignee": "t1"})


async def test_an_assignment_without_reply_times_out_to_another_agent(
    desk: Dispatcher, nc: Client, js: JetStreamContext
) -> None:
    ticket = await first_assigned(nc, js)
    first = ticket.assignee

    await desk.sweep(now=time.time() + 61)
    again = await wait_for(nc, lambda t: t.assignee not in (None, first))

    assert {first, again.assignee} == {"b1", "b2"}
    reasons = [e.detail.get("reason") or "" for e in await audit(nc, ticket.id)]
    assert any(
        r.startswith(f"assignment timeout: no reply from {first} within 1 min") for r in reasons
    )


async def test_a_reply_in_time_keeps_the_assignment(
    desk: Dispatcher, nc: Client, js: JetStreamContext
) -> None:
    ticket = await first_assigned(nc, js)
    reply = c.AddReply(actor=ticket.assignee or "", ticket_id=ticket.id, text="Смотрим 👀")
    await nc.request(subjects.command("reply"), reply.to_bytes(), timeout=5)

    await desk.sweep(now=time.time() + 61)
    await asyncio.sleep(1)

    after = (await StoreClient(nc).all_tickets(q.ListTickets()))[0]
    assert after.assignee == ticket.assignee


async def test_an_agent_gone_offline_past_the_grace_period_loses_their_tickets(
    desk: Dispatcher, nc: Client, js: JetStreamContext
) -> None:
    ticket = await first_assigned(nc, js)
    gone = ticket.assignee or ""
    await set_status(desk.presence, gone, "offline")
    now = time.time()

    await desk.sweep(now=now)  # notices: the grace period starts
    still = (await StoreClient(nc).all_tickets(q.ListTickets()))[0]
    await desk.sweep(now=now + 61)
    moved = await wait_for(nc, lambda t: t.assignee not in (None, gone))

    assert still.assignee == gone
    assert moved.assignee in {"b1", "b2"} - {gone}


async def test_a_new_ticket_is_routed_and_assigned_in_one_request_to_the_store(
    desk: Dispatcher, nc: Client, js: JetStreamContext
) -> None:
    batches: list[list[tuple[str, str]]] = []

    async def seen(msg: Msg) -> None:
        batch = c.CommandBatch.model_validate_json(msg.data)
        batches.append([(type(x).name, x.ticket_id) for x in batch.commands])

    await nc.subscribe(subjects.COMMAND_BATCH, cb=seen)

    ticket = await first_assigned(nc, js)

    assert ticket.department == "billing"
    assert [("route", ticket.id), ("assign", ticket.id)] in batches
