"""Router benchmark: decisions per second with two replicas over 10,000 new tickets, and the
time from `events.ticket.created` to `events.ticket.assigned` at a steady 500 tickets/s, with
and without SLA policies (what service levels cost per ticket, `sla_cpu_us_per_ticket`)."""

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from contracts import commands as c
from contracts import directory as d
from contracts import queries as q
from contracts import streams, subjects
from contracts.events import parse_event
from contracts.messages import InboundMessage, Sender
from router.presence import Presence
from services.runtime.broker import ensure_streams
from services.runtime.nats_server import NatsServer
from tests.bench.cpu import CpuMeter, cores_needed, pids
from tests.bench.store import publish
from tests.bench.traffic import NatsTraffic, monitoring_args
from tests.fullstack import free_port
from tests.integration.processes import ServiceProcess
from tests.integration.router.agents import set_status
from tests.integration.test_store import drained

BURST = 10_000
RATE = 500
LIGHT_RATE = 50
STEADY_SECONDS = 10
AGENTS = 21  # room for every phase: 10,000 + 5,000 + 500 + 5,000 (with SLA) tickets
WATCHED = (subjects.event("ticket.created"), subjects.event("ticket.assigned"))


def tickets(prefix: str, count: int) -> list[InboundMessage]:
    return [
        InboundMessage(
            channel="telegram",
            account="bench",
            thread_key=f"{prefix}-{n}",
            external_id=f"{prefix}-{n}",
            sender=Sender(channel_user_id=f"{prefix}-u{n}", display_name="Клиент"),
            text=f"Вопрос номер {n}",
        )
        for n in range(count)
    ]


class Clock:
    """When each ticket was created and assigned, as the bus reported it."""

    def __init__(self) -> None:
        self.created: dict[str, float] = {}
        self.assigned: dict[str, float] = {}

    async def on_event(self, msg: Msg) -> None:
        now = time.perf_counter()
        event = parse_event(msg.data)
        if event.type == "ticket.created":
            self.created.setdefault(event.ticket.id, now)
        elif event.type == "ticket.assigned" and event.ticket.assignee:
            self.assigned.setdefault(event.ticket.id, now)


async def setup(nc: Client, js: Any) -> None:
    async def put(command: d.DirectoryCommand) -> None:
        subject = subjects.directory_command(type(command).name)
        reply = c.COMMAND_REPLY.validate_json(
            (await nc.request(subject, command.to_bytes(), timeout=5)).data
        )
        assert reply.ok, reply

    await put(
        d.PutDepartment(actor="bench", department=d.DepartmentView(id="support", name="Поддержка"))
    )
    presence = await Presence.open(js, ttl=600)
    for n in range(AGENTS):
        agent = d.AgentView(
            id=f"a{n}",
            email=f"a{n}@bench.ru",
            name=f"A{n}",
            departments=["support"],
            capacity=1000,
        )
        await put(d.PutAgent(actor="bench", agent=agent))
        await set_status(presence, agent.id, "online")
    await put(d.SetRoutingRules(actor="bench", rules=[]))


SLA_POLICIES = [
    d.SlaPolicy(
        name="Срочно", match=d.SlaMatch(priorities=["urgent"]), first_response_minutes=60,
        next_response_minutes=60, resolution_minutes=480,
        escalation=d.Escalation(assign_to="supervisor", tags=["sla"]),
    ),
    d.SlaPolicy(
        name="VIP", match=d.SlaMatch(tags=["vip"]), first_response_minutes=30,
        next_response_minutes=30, resolution_minutes=240,
    ),
    d.SlaPolicy(
        name="Стандарт", first_response_minutes=120, next_response_minutes=240,
        resolution_minutes=24 * 60, escalation=d.Escalation(priority="high"),
    ),
]  # fmt: skip
# Split shifts in Moscow with the country's holidays: business time is real arithmetic here.
SPLIT = [{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}]
CALENDAR = d.BusinessCalendar.model_validate(
    {"timezone": "Europe/Moscow", "country": "RU", "week": [SPLIT] * 5 + [[], []]}
)


async def service_levels_on(nc: Client) -> None:
    """The same desk, now with SLA policies and a working-hours calendar on `support`."""
    for command in (
        d.PutDepartment(
            actor="bench",
            department=d.DepartmentView(id="support", name="Поддержка", calendar=CALENDAR),
        ),
        d.SetSlaPolicies(actor="bench", policies=SLA_POLICIES),
    ):
        subject = subjects.directory_command(type(command).name)
        reply = c.COMMAND_REPLY.validate_json(
            (await nc.request(subject, command.to_bytes(), timeout=5)).data
        )
        assert reply.ok, reply
    await asyncio.sleep(1)  # the routers refresh their directory on the change


async def stamped(nc: Client, prefix: str) -> bool:
    """Whether the phase's tickets carry SLA clocks (the phase measured what it meant to)."""
    query = q.ListTickets(limit=20)
    page = q.TicketPage.model_validate_json(
        (await nc.request(subjects.query("list"), query.to_bytes(), timeout=5)).data
    )
    mine = [t for t in page.items if t.thread_key.startswith(prefix)]
    return bool(mine) and all(t.sla and t.sla.clocks for t in mine)


async def watch(nc: Client, clock: Clock) -> list[Subscription]:
    """Only the two events the clock times: the load generator shares the two cores."""
    return [await nc.subscribe(subject, cb=clock.on_event) for subject in WATCHED]


async def unwatch(subs: list[Subscription]) -> None:
    for sub in subs:
        await sub.unsubscribe()


async def wait_assigned(clock: Clock, count: int, timeout: float = 600) -> None:
    deadline = time.perf_counter() + timeout
    while len(clock.assigned) < count and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


async def settled(js: Any) -> None:
    """Wait until the router has taken in every event of the phase before (each phase
    measures its own steady state, not the tail of the last one)."""
    await drained(js, streams.ROUTER_EVENTS, timeout=120)
    await asyncio.sleep(1)


async def steady_run(
    nc: Client, js: Any, prefix: str, rate: int, processes: dict[str, list[int]], monitor: int
) -> tuple[list[float], dict[str, float], dict[str, float]]:
    """Tickets at a steady `rate` for STEADY_SECONDS: created-to-assigned latencies in ms,
    the CPU each process spent per ticket, and the messages through nats-server per ticket
    (this benchmark's two watched events stand for the agent's stream)."""
    await settled(js)
    clock = Clock()
    subs = await watch(nc, clock)
    rows = tickets(prefix, rate * STEADY_SECONDS)
    meter = CpuMeter(processes)
    traffic = NatsTraffic(monitor)
    started = time.perf_counter()
    for n, m in enumerate(rows):
        headers = {"Nats-Msg-Id": m.dedupe_key}
        await js.publish(subjects.inbound("telegram"), m.to_bytes(), headers=headers)
        ahead = started + (n + 1) / rate - time.perf_counter()
        if ahead > 0:
            await asyncio.sleep(ahead)
    await wait_assigned(clock, len(rows), timeout=300)
    cpu = meter.per_message(len(rows))
    messages = traffic.per_message(len(rows))
    await unwatch(subs)
    return (
        [
            (clock.assigned[t] - clock.created[t]) * 1000
            for t in clock.assigned
            if t in clock.created
        ],
        cpu,
        messages,
    )


def summary(latencies: list[float]) -> dict[str, Any]:
    if not latencies:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None, "assigned": 0}
    return {
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
        "assigned": len(latencies),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main() -> dict[str, Any]:
    monitor = free_port()
    with (
        tempfile.TemporaryDirectory() as tmp,
        NatsServer(Path(tmp) / "nats", port=0, extra_args=monitoring_args(monitor)) as server,
    ):
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await ensure_streams(js)
        data = Path(tmp) / "var"
        env = {"RELAYDESK_ROUTER_SWEEP_INTERVAL": "1"}
        services = [ServiceProcess("store", server.url, data).start()]
        await setup(nc, js)
        services += [ServiceProcess("router", server.url, data, **env).start() for _ in range(2)]
        clock = Clock()
        burst_subs = await watch(nc, clock)
        try:
            burst = tickets("burst", BURST)
            await publish(
                js, subjects.inbound("telegram"), [(m.to_bytes(), m.dedupe_key) for m in burst]
            )
            await wait_assigned(clock, BURST)
            span = max(clock.assigned.values()) - min(clock.created.values())
            decisions = len(clock.assigned) / span
            await unwatch(burst_subs)  # each phase below keeps its own clock

            processes = {
                "store": pids(services[:1]),
                "router (both)": pids(services[1:]),
                "nats-server": [server.process.pid] if server.process else [],
            }
            steady, cpu, traffic = await steady_run(nc, js, "steady", RATE, processes, monitor)
            light, _, _ = await steady_run(nc, js, "light", LIGHT_RATE, processes, monitor)
            await service_levels_on(nc)
            with_sla, cpu_sla, _ = await steady_run(nc, js, "sla", RATE, processes, monitor)
            sla_stamped = await stamped(nc, "sla")
        finally:
            for s in services:
                s.stop()
            await nc.close()
    return {
        "tickets": BURST,
        "replicas": 2,
        "decisions_per_s": round(decisions),
        "steady_rate_per_s": RATE,
        **summary(steady),
        "cpu_us_per_ticket": cpu,
        "nats_msgs_per_ticket": traffic,
        "cores_needed": cores_needed(cpu, RATE),
        f"at_{LIGHT_RATE}_per_s": summary(light),
        "with_sla": {**summary(with_sla), "cpu_us_per_ticket": cpu_sla, "stamped": sla_stamped},
        "sla_cpu_us_per_ticket": {
            "without": cpu["total"],
            "with": cpu_sla["total"],
            "added_pct": round((cpu_sla["total"] / cpu["total"] - 1) * 100, 1),
        },
        "targets": {
            "p99_ms": 20,
            "sla_added_pct": 10,
            "cpu_us_per_ticket": 1500,
            "nats_msgs_per_ticket": 13,
        },
    }


def run() -> dict[str, Any]:
    return asyncio.run(main())
