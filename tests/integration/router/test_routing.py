"""The router with the store on a real nats-server: departments, capacity, queue, replicas."""

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from contracts import commands as c
from contracts import directory as d
from contracts import events as ev
from contracts import queries as q
from contracts import subjects
from contracts.tickets import PRIORITIES, TicketView
from router import dispatch, upkeep
from router.dispatch import Dispatcher
from router.presence import Presence
from services.runtime.nats_server import NatsServer
from services.runtime.store_client import StoreClient, StoreUnavailable
from tests.integration.processes import ServiceProcess
from tests.integration.router.agents import set_status
from tests.integration.test_store import drained, message, publish_all

pytestmark = pytest.mark.integration
FAST = {"RELAYDESK_ROUTER_SWEEP_INTERVAL": "0.5"}
DEPARTMENTS = ["billing", "tech", "sales"]
RULES = [
    d.RoutingRule(
        name="urgent", match=d.RuleMatch(keywords=["срочно"]), priority="urgent", stop=False
    ),
    d.RoutingRule(name="billing", match=d.RuleMatch(keywords=["оплата"]), department="billing"),
    d.RoutingRule(name="tech", match=d.RuleMatch(keywords=["ошибка"]), department="tech"),
    d.RoutingRule(name="sales", match=d.RuleMatch(keywords=["цена"]), department="sales"),
]
TOPICS = {"billing": "Не проходит оплата", "tech": "Ошибка в приложении", "sales": "Какая цена"}


@pytest.fixture
def stack(nats_server: NatsServer, nc: Client, data_dir: Path) -> Iterator[list[ServiceProcess]]:
    running: list[ServiceProcess] = []
    yield running
    for process in running:
        process.stop()


@pytest.fixture
async def presence(js: JetStreamContext) -> Presence:
    return await Presence.open(js, ttl=60)


async def setup_directory(nc: Client, agents: list[d.AgentView], **dept: object) -> int:
    """Departments, agents and rules, as a fresh desk's admin would; returns how many
    directory changes that made."""

    async def put(command: d.DirectoryCommand) -> None:
        subject = subjects.directory_command(type(command).name)
        reply = c.COMMAND_REPLY.validate_json(
            (await nc.request(subject, command.to_bytes(), timeout=5)).data
        )
        assert reply.ok, reply

    for name in [*DEPARTMENTS, "support"]:
        await put(
            d.PutDepartment(actor="t", department=d.DepartmentView(id=name, name=name, **dept))
        )  # type: ignore[arg-type]
    for agent in agents:
        await put(d.PutAgent(actor="t", agent=agent))
    await put(d.SetRoutingRules(actor="t", rules=RULES))
    return len(DEPARTMENTS) + 1 + len(agents) + 1


async def router_read_the_directory(everything: Subscription, after_changes: int) -> None:
    """Reading a `>` subscription in the server's order: after the last of `after_changes`
    directory changes, someone (the router: it refreshes on each) asked for the directory
    and the store answered."""
    seen, question = 0, None
    async with asyncio.timeout(15):
        while True:
            msg = await everything.next_msg(timeout=15)
            if msg.subject == subjects.event("directory.changed"):
                seen, question = seen + 1, None
            elif seen >= after_changes and msg.subject == subjects.directory_query("get"):
                question = msg.reply
            elif question and msg.subject == question:
                await everything.unsubscribe()
                return


async def all_tickets(nc: Client) -> list[TicketView]:
    return await StoreClient(nc).all_tickets(q.ListTickets(limit=500))


async def settle(
    nc: Client, done: "asyncio.Future[None] | None" = None, *, check: object, timeout: float = 60
) -> list[TicketView]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        tickets = await all_tickets(nc)
        if check(tickets):  # type: ignore[operator]
            return tickets
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(
                f"not settled: {Counter((t.department, t.assignee) for t in tickets)}"
            )
        await asyncio.sleep(0.3)


async def assignment_history(js: JetStreamContext) -> list[ev.TicketAssigned]:
    sub = await js.subscribe(subjects.event("ticket.assigned"), ordered_consumer=True)
    found: list[ev.TicketAssigned] = []
    while True:
        try:
            msg = await sub.next_msg(timeout=1)
        except Exception:  # no more messages
            break
        event = ev.parse_event(msg.data)
        assert isinstance(event, ev.TicketAssigned)
        found.append(event)
    await sub.unsubscribe()
    return found


async def test_five_hundred_tickets_two_replicas_capacity_and_queue(
    stack: list[ServiceProcess],
    nats_server: NatsServer,
    nc: Client,
    js: JetStreamContext,
    presence: Presence,
    data_dir: Path,
) -> None:
    agents = [
        d.AgentView(
            id=f"a{n}",
            email=f"a{n}@desk.ru",
            name=f"Агент {n}",
            departments=[dep],
            capacity=100 if dep == "sales" else 40,
        )
        for n, dep in enumerate(["billing", "billing", "tech", "tech", "sales", "sales"], 1)
    ]
    offline = {"a2", "a4"}
    stack.append(ServiceProcess("store", nats_server.url, data_dir).start())
    await setup_directory(nc, agents)
    for agent in agents:
        if agent.id not in offline:
            await set_status(presence, agent.id, "online")
    stack += [ServiceProcess("router", nats_server.url, data_dir, **FAST).start() for _ in range(2)]
    expected = {}
    messages = []
    for n in range(500):
        department = DEPARTMENTS[n % 3]
        text = ("Срочно! " if n % 7 == 0 else "") + f"{TOPICS[department]} #{n}"
        messages.append(message(n, 1, text))
        expected[f"chat-{n}"] = department
    await publish_all(js, messages)
    await drained(js)

    def first_phase_done(tickets: list[TicketView]) -> bool:
        online = Counter(t.assignee for t in tickets if t.assignee)
        return (
            len(tickets) == 500
            and all(online[a] == 40 for a in ("a1", "a3"))
            and all(t.department == expected[t.thread_key] for t in tickets)
            and online["a5"] + online["a6"] == 166
        )

    tickets = await settle(nc, check=first_phase_done)

    assert {t.department for t in tickets if t.assignee is None} == {"billing", "tech"}
    assert not any(t.assignee in offline for t in tickets)
    waiting = {
        dep: sorted(
            (t for t in tickets if t.department == dep and t.assignee is None),
            key=lambda t: (-PRIORITIES.index(t.priority), t.created_at),
        )
        for dep in ("billing", "tech")
    }

    await set_status(presence, "a2", "online")
    await set_status(presence, "a4", "online")
    tickets = await settle(
        nc,
        check=lambda ts: (
            Counter(t.assignee for t in ts)["a2"] == 40
            and Counter(t.assignee for t in ts)["a4"] == 40
        ),
    )

    assert {t.id for t in tickets if t.assignee == "a2"} == {t.id for t in waiting["billing"][:40]}
    assert {t.id for t in tickets if t.assignee == "a4"} == {t.id for t in waiting["tech"][:40]}
    history = await assignment_history(js)
    per_agent = Counter(e.ticket.assignee for e in history if e.ticket.assignee)
    per_ticket = Counter(e.ticket.id for e in history if e.ticket.assignee)
    assert all(n <= (100 if agent in ("a5", "a6") else 40) for agent, n in per_agent.items())
    assert max(per_ticket.values()) == 1
    urgent = next(t for t in tickets if t.thread_key == "chat-0")
    assert (urgent.priority, urgent.tags) == ("urgent", [])


async def test_a_router_started_before_the_store_waits_for_it(
    stack: list[ServiceProcess],
    nats_server: NatsServer,
    nc: Client,
    js: JetStreamContext,
    presence: Presence,
    data_dir: Path,
) -> None:
    asked = await nc.subscribe(subjects.directory_query("get"))  # answers nothing
    stack.append(ServiceProcess("router", nats_server.url, data_dir, **FAST).start())
    await asked.next_msg(timeout=10)  # the router is asking for a store that is not there
    await asked.unsubscribe()
    stack.append(ServiceProcess("store", nats_server.url, data_dir).start())
    agent = d.AgentView(id="a1", email="a1@desk.ru", name="Агент", departments=["billing"])
    everything = await nc.subscribe(">")  # in the server's order
    changes = await setup_directory(nc, [agent])
    await set_status(presence, "a1", "online")
    await router_read_the_directory(everything, after_changes=changes)

    await publish_all(js, [message(1, 1, "Не проходит оплата")])
    tickets = await settle(nc, check=lambda ts: bool(ts) and ts[0].assignee == "a1")

    assert tickets[0].department == "billing"
    assert stack[0].process is not None and stack[0].process.poll() is None


class SilentStore(StoreClient):
    """The store as the router sees it when the answer to a command batch never comes."""

    async def commands(self, commands: list[c.Command]) -> list[c.CommandOk | c.CommandError]:
        raise StoreUnavailable("the store did not answer (TimeoutError)")


async def waiting_in_billing(
    stack: list[ServiceProcess],
    nats_server: NatsServer,
    nc: Client,
    js: JetStreamContext,
    data_dir: Path,
    presence: Presence,
) -> str:
    """A store with one ticket routed to billing and waiting, and Boris online there."""
    stack.append(ServiceProcess("store", nats_server.url, data_dir).start())
    agent = d.AgentView(id="b1", email="b1@desk.ru", name="Борис", departments=["billing"])
    await setup_directory(nc, [agent])
    await set_status(presence, "b1", "online")
    await publish_all(js, [message(1, 1, "Не проходит оплата")])
    await drained(js)
    ticket = (await all_tickets(nc))[0]
    await StoreClient(nc).commands(
        [c.RouteTicket(actor="router", ticket_id=ticket.id, department="billing")]
    )
    return ticket.id


async def test_slots_claimed_for_an_assignment_nobody_answered_are_given_back(
    stack: list[ServiceProcess],
    nats_server: NatsServer,
    nc: Client,
    js: JetStreamContext,
    data_dir: Path,
    presence: Presence,
) -> None:
    await waiting_in_billing(stack, nats_server, nc, js, data_dir, presence)
    dispatcher = Dispatcher(SilentStore(nc), presence, "support")
    await dispatcher.refresh()

    with pytest.raises(StoreUnavailable):
        await dispatcher.drain("billing")

    assert (await presence.loads())["b1"].tickets == []


async def test_a_slot_left_by_a_router_killed_mid_claim_is_given_back_once_stale(
    stack: list[ServiceProcess],
    nats_server: NatsServer,
    nc: Client,
    js: JetStreamContext,
    data_dir: Path,
    presence: Presence,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Arrange: the agent's load holds the ticket (a router claimed it and was killed before
    # its assign command), while the store still has it waiting in the department.
    ticket_id = await waiting_in_billing(stack, nats_server, nc, js, data_dir, presence)
    assert await presence.reserve("b1", ticket_id, capacity=5)
    monkeypatch.setattr(dispatch, "STALE_SLOT", 0.3)
    dispatcher = Dispatcher(StoreClient(nc), presence, "support")
    await dispatcher.refresh()

    # Act: at first it may be another replica's claim in flight; later it is stale
    first = await dispatcher.drain("billing")
    await asyncio.sleep(0.4)
    second = await dispatcher.drain("billing")
    third = await dispatcher.drain("billing")

    # Assert: given back, then assigned, and counted once in the agent's load
    assert (first, second, third) == (0, 0, 1)
    assert (await all_tickets(nc))[0].assignee == "b1"
    assert (await presence.loads())["b1"].tickets == [ticket_id]


async def test_slots_for_tickets_the_agent_does_not_have_are_given_back_a_minute_later(
    stack: list[ServiceProcess],
    nats_server: NatsServer,
    nc: Client,
    js: JetStreamContext,
    data_dir: Path,
    presence: Presence,
) -> None:
    # Arrange: Boris has the ticket, and his load also holds a slot for one the store does
    # not give him (a claim whose router died, a release that never ran)
    ticket_id = await waiting_in_billing(stack, nats_server, nc, js, data_dir, presence)
    await StoreClient(nc).commands(
        [c.AssignTicket(actor="admin", ticket_id=ticket_id, agent="b1", reason="by hand")]
    )
    assert await presence.reserve("b1", ticket_id, capacity=5)
    assert await presence.reserve("b1", "ticket-nobody-gave-him", capacity=5)
    dispatcher = Dispatcher(StoreClient(nc), presence, "support")

    # Act: the first look only notes it (it could be a claim in flight); a minute later
    first = await upkeep.stray_slots(dispatcher, now=1_000.0)
    too_soon = await upkeep.stray_slots(dispatcher, now=1_030.0)
    later = await upkeep.stray_slots(dispatcher, now=1_061.0)

    # Assert
    assert (first, too_soon, later) == (0, 0, 1)
    assert (await presence.loads())["b1"].tickets == [ticket_id]


class CountingStore(StoreClient):
    """The real store, counting the queue pages the router asks it for."""

    pages = 0

    async def page(self, query: q.ListTickets) -> q.TicketPage:
        self.pages += 1
        return await super().page(query)


async def pages_after_a_transfer_into_billing(
    nc: Client, presence: Presence, ticket_id: str, actor: str
) -> int:
    """How many queue pages a router asks the store for on `actor`'s transfer of the ticket
    into billing."""
    ticket = next(t for t in await all_tickets(nc) if t.id == ticket_id)
    store = CountingStore(nc)
    dispatcher = Dispatcher(store, presence, "support")
    await dispatcher.refresh()
    event = ev.TicketTransferred(ticket=ticket, actor=actor, previous_department=None)

    await dispatcher.on_events([event])
    await dispatcher.idle()
    return store.pages


async def test_the_echo_of_the_routers_own_route_asks_the_store_for_no_queue(
    stack: list[ServiceProcess],
    nats_server: NatsServer,
    nc: Client,
    js: JetStreamContext,
    data_dir: Path,
    presence: Presence,
) -> None:
    ticket_id = await waiting_in_billing(stack, nats_server, nc, js, data_dir, presence)

    pages = await pages_after_a_transfer_into_billing(nc, presence, ticket_id, "router")

    assert pages == 0


async def test_a_transfer_by_an_agent_drains_the_department_it_went_to(
    stack: list[ServiceProcess],
    nats_server: NatsServer,
    nc: Client,
    js: JetStreamContext,
    data_dir: Path,
    presence: Presence,
) -> None:
    ticket_id = await waiting_in_billing(stack, nats_server, nc, js, data_dir, presence)

    pages = await pages_after_a_transfer_into_billing(nc, presence, ticket_id, "a1")

    assert pages == 1
    assert next(t for t in await all_tickets(nc) if t.id == ticket_id).assignee == "b1"
