"""Service levels on real NATS: the store, two router processes, the Telegram adapter against
the fake Bot API, and two more router replicas in the test whose clock the test moves
forward. Warning, breach and escalation fire once each; a reply in time clears the clock; a
new ticket is acknowledged once on Telegram with its number; an auto-reply mail is not."""

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from prometheus_client import REGISTRY

from contracts import commands as c
from contracts import directory as d
from contracts import events as ev
from contracts import queries as q
from contracts import subjects
from contracts.messages import InboundMessage, Sender
from contracts.service_levels import Escalation, SlaMatch, SlaPolicy
from contracts.tickets import TicketView
from router.dispatch import Dispatcher
from router.presence import Presence
from services.runtime.nats_server import NatsServer
from services.runtime.store_client import StoreClient
from tests.fakes.telegram_api import FakeBotApi
from tests.integration.processes import ServiceProcess
from tests.integration.test_store import drained, publish_all

pytestmark = pytest.mark.integration
SECRET = "webhook-secret-sla"
CORPUS = Path(__file__).resolve().parents[2] / "fixtures/corpora/telegram"
UPDATE = json.loads((CORPUS / "zammad/private/text.json").read_text())
# The replicas started as processes route and acknowledge; their sweep, on the real clock,
# must not fire the timers this test fires with its moved clock.
SLOW_SWEEP = {"RELAYDESK_ROUTER_SWEEP_INTERVAL": "3600"}


@pytest.fixture(scope="module")
def fake_api() -> FakeBotApi:
    return FakeBotApi().serve()


@pytest.fixture
def desk(
    nats_server: NatsServer, nc: Client, data_dir: Path, fake_api: FakeBotApi
) -> Iterator[str]:
    fake_api.calls.clear()
    bots = [{"account": "support_bot", "token": "123:ABC", "secret": SECRET}]
    running = [ServiceProcess("store", nats_server.url, data_dir).start()]
    running += [
        ServiceProcess("router", nats_server.url, data_dir, **SLOW_SWEEP).start() for _ in range(2)
    ]
    telegram = ServiceProcess(
        "telegram", nats_server.url, data_dir,
        RELAYDESK_TELEGRAM_BOTS=json.dumps(bots),
        RELAYDESK_TELEGRAM_API_BASE=f"{fake_api.url}/bot",
    ).start()  # fmt: skip
    running.append(telegram)
    assert telegram.url
    yield telegram.url
    for process in reversed(running):
        process.stop()


async def configure(nc: Client) -> None:
    """`support` acknowledges new tickets; a one-minute first-response SLA, warned a minute
    ahead, escalates to the supervisor at urgent priority."""
    policy = SlaPolicy(
        name="Одна минута",
        match=SlaMatch(departments=["support"]),
        first_response_minutes=1,
        warning_minutes=1,
        escalation=Escalation(priority="urgent", assign_to="supervisor", tags=["sla-breach"]),
    )
    boss = d.AgentView(
        id="boss", email="boss@desk.ru", name="Ольга", role="supervisor", departments=["support"]
    )
    for command in (
        d.PutDepartment(
            actor="t",
            department=d.DepartmentView(id="support", name="Поддержка", acknowledge=True),
        ),
        d.PutAgent(actor="t", agent=boss),
        d.SetSlaPolicies(actor="t", policies=[policy]),
    ):
        subject = subjects.directory_command(type(command).name)
        answer = c.COMMAND_REPLY.validate_json(
            (await nc.request(subject, command.to_bytes(), timeout=5)).data
        )
        assert answer.ok, answer


async def write_in(url: str, chat: int) -> None:
    update = json.loads(json.dumps(UPDATE))
    update["update_id"] = chat
    update["message"]["chat"]["id"] = update["message"]["from"]["id"] = chat
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{url}/telegram/support_bot/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    assert response.status_code == 200


async def routed(nc: Client, count: int) -> list[TicketView]:
    store = StoreClient(nc)
    async with asyncio.timeout(20):
        while True:
            found = await store.all_tickets(q.ListTickets(limit=500))
            if len(found) == count and all(t.sla for t in found):
                return sorted(found, key=lambda t: t.number)
            await asyncio.sleep(0.1)


async def sla_events(js: JetStreamContext) -> list[ev.Event]:
    sub = await js.subscribe("events.>", ordered_consumer=True)
    found: list[ev.Event] = []
    while True:
        try:
            msg = await sub.next_msg(timeout=1)
        except TimeoutError:
            break
        event = ev.parse_event(msg.data)
        if isinstance(event, ev.SlaWarning | ev.SlaBreached | ev.TicketAssigned):
            found.append(event)
    await sub.unsubscribe()
    return found


STAGES = ("warning", "breached")


def sla_counted(stage: str, department: str | None) -> float:
    labels = {"stage": stage, "department": department or ""}
    return REGISTRY.get_sample_value("relaydesk_sla_events_total", labels) or 0.0


async def replicas(nc: Client, js: JetStreamContext) -> list[Dispatcher]:
    presence = await Presence.open(js, ttl=60)
    return [Dispatcher(StoreClient(nc), presence, "support") for _ in range(2)]


async def test_warning_breach_and_escalation_fire_once_each_and_a_reply_in_time_clears_them(
    desk: str, nc: Client, js: JetStreamContext, fake_api: FakeBotApi
) -> None:
    await configure(nc)
    await write_in(desk, 5001)
    await write_in(desk, 5002)
    late, answered = await routed(nc, 2)
    await StoreClient(nc).commands(
        [c.AddReply(actor="a1", ticket_id=answered.id, text="Уже смотрим")]
    )
    both = await replicas(nc, js)
    counted_before = {stage: sla_counted(stage, late.department) for stage in STAGES}

    for at in (
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=61),
        timedelta(seconds=90),
    ):
        now = (late.created_at + at).timestamp()
        await asyncio.gather(*(replica.sweep(now) for replica in both))

    events = await sla_events(js)
    fired = Counter(
        (type(e).__name__, e.ticket.id) for e in events if not isinstance(e, ev.TicketAssigned)
    )
    assert fired == {("SlaWarning", late.id): 1, ("SlaBreached", late.id): 1}
    counted = {s: sla_counted(s, late.department) - counted_before[s] for s in STAGES}
    assert counted == {"warning": 1, "breached": 1}  # on /metrics, once across both replicas
    escalations = [
        e for e in events if isinstance(e, ev.TicketAssigned) and e.reason == "SLA escalation"
    ]
    assert [(e.ticket.id, e.ticket.assignee, e.ticket.priority) for e in escalations] == [
        (late.id, "boss", "urgent")
    ]
    after = {t.id: t for t in await StoreClient(nc).all_tickets(q.ListTickets())}
    assert after[answered.id].timer_at is None and "sla-breach" not in after[answered.id].tags


async def test_a_new_ticket_is_acknowledged_once_on_telegram_with_its_number(
    desk: str, nc: Client, fake_api: FakeBotApi
) -> None:
    await configure(nc)
    await write_in(desk, 6001)
    (ticket,) = await routed(nc, 1)
    await write_in(desk, 6001)  # the customer writes again: no second acknowledgement

    async with asyncio.timeout(15):
        while not fake_api.sent():
            await asyncio.sleep(0.1)
    await asyncio.sleep(1)  # a second one, if any, would have come by now

    sent = fake_api.sent()
    assert len(sent) == 1
    assert str(ticket.number) in sent[0].params["text"]
    assert str(sent[0].params["chat_id"]) == "6001"


async def test_an_auto_reply_mail_is_not_acknowledged(
    desk: str, nc: Client, js: JetStreamContext
) -> None:
    await configure(nc)
    # As the email adapter publishes an out-of-office reply (channels/email/kinds.py).
    auto = InboundMessage(
        channel="email",
        account="support",
        thread_key="<ooo-1@example.ru>",
        external_id="<ooo-1@example.ru>",
        sender=Sender(channel_user_id="anna@example.ru", email="anna@example.ru"),
        subject="Автоответ: Re: заявка",
        text="Я в отпуске до 10 января.",
        tags=["auto-reply"],
    )
    await publish_all(js, [auto])
    await drained(js)
    (ticket,) = await routed(nc, 1)
    await drained(js, timeout=10)

    info = await js.stream_info("OUTBOUND", subjects_filter=subjects.outbound_replies("email"))

    assert ticket.department == "support" and ticket.acknowledged_at is None
    assert not info.state.subjects
