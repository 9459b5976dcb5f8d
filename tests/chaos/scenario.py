"""The fault-injection scenario: steady Telegram updates, VK events, Viber messages, mails to
the SMTP ingress and agent replies on the whole desk, while the store, the router, the
Telegram adapter, the inbox, the email service, the VK and the Viber adapters are each
SIGKILLed at a random moment (the supervisor restarts them), the NATS server is stopped and
started once, and the fake Bot API answers 500s and 429s for ten seconds. Then it checks what
the desk promises:

- every webhook update, VK event or Viber message that got a 2xx, and every mail that got a
  250, is stored exactly once;
- every reply the inbox API accepted reached its platform (the Bot API, the VK API, the
  Viber API, the email outbox) exactly once, or is marked failed with a reason;
- each ticket was assigned at most once (no assignment timeouts are configured here, so one
  routing decision per ticket);
- nothing is left unacked in any JetStream consumer;
- the dead-letter stream holds only the malformed inputs sent on purpose.

The load generator acts like Telegram: an update without a 2xx is sent again; and like a
mail server: a mail without a 250 (a 451, a dropped connection) is sent again. A reply POST
that got no answer at all (the inbox died mid-request) is not counted as accepted and is not
retried; each text is unique, so a repeat would show.
"""

import asyncio
import contextlib
import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from nats.aio.client import Client

from contracts import queries as q
from contracts import streams, subjects
from tests.fakes.telegram_api import BROKEN, TOO_MANY
from tests.fullstack import (
    VIBER_WEBHOOK,
    VK_CALLBACK,
    FullDesk,
    Mailer,
    Webhooks,
    keep_online,
    mail,
    update,
    viber_message,
    vk_event,
)

FIRST_CHAT = 900_000
MALFORMED = [b"{not json", b"\xff\xfe garbage", b"[1, 2, 3"]


@dataclass
class Plan:
    updates: int = 2_000
    mails: int = 300
    vk_events: int = 300
    viber_messages: int = 300
    conversations: int = 100
    seconds: float = 80.0  # the load window; faults fall inside it
    reply_rate: float = 3.0
    settle: float = 90.0
    seed: int = field(default_factory=lambda: random.randrange(1 << 30))


@dataclass
class Load:
    acked: set[str] = field(default_factory=set)  # update keys that got a 2xx
    replies: set[str] = field(default_factory=set)  # reply texts the API accepted
    unconfirmed: set[str] = field(default_factory=set)  # reply POSTs with no answer
    malformed: int = 0
    faults: list[str] = field(default_factory=list)


async def send_updates(desk: FullDesk, plan: Plan, load: Load) -> None:
    hooks = Webhooks(desk.url("telegram"), connections=8)
    started = time.monotonic()
    pending = []
    for n in range(plan.updates):
        await asyncio.sleep(max(0.0, started + n * plan.seconds / plan.updates - time.monotonic()))
        if n % 500 == 250:  # now and then, something that is not an update at all
            body = MALFORMED[(n // 500) % len(MALFORMED)]
            if await hooks.post(body) == 400:
                load.malformed += 1
        chat = FIRST_CHAT + n % plan.conversations
        key = f"u{n}"
        body = update(n + 1, chat, n // plan.conversations + 1, f"{key} вопрос клиента 🙏")
        pending.append(asyncio.create_task(_until_acked(hooks, body, key, load)))
    await asyncio.gather(*pending)


async def _until_acked(
    hooks: Webhooks, body: bytes, key: str, load: Load, headers: str = ""
) -> None:
    delay = 0.2
    while (status := await hooks.post(body, headers=headers)) // 100 != 2:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 3.0)
    assert status == 200
    load.acked.add(key)


async def send_vk(desk: FullDesk, plan: Plan, load: Load) -> None:
    hooks = Webhooks(desk.url("vk"), connections=4, path=VK_CALLBACK)
    started = time.monotonic()
    pending = []
    for n in range(plan.vk_events):
        await asyncio.sleep(
            max(0.0, started + n * plan.seconds / plan.vk_events - time.monotonic())
        )
        key = f"v{n}"
        body = vk_event(n, 70_000_000 + n % plan.conversations, 1 + n, f"{key} сообщение из ВК")
        pending.append(asyncio.create_task(_until_acked(hooks, body, key, load)))
    await asyncio.gather(*pending)


async def send_viber(desk: FullDesk, plan: Plan, load: Load) -> None:
    hooks = Webhooks(desk.url("viber"), connections=4, path=VIBER_WEBHOOK)
    started = time.monotonic()
    pending = []
    for n in range(plan.viber_messages):
        moment = started + n * plan.seconds / plan.viber_messages
        await asyncio.sleep(max(0.0, moment - time.monotonic()))
        key = f"b{n}"
        body, signed = viber_message(1 + n, n % plan.conversations, f"{key} сообщение из Viber")
        pending.append(asyncio.create_task(_until_acked(hooks, body, key, load, signed)))
    await asyncio.gather(*pending)


async def send_mails(desk: FullDesk, plan: Plan, load: Load) -> None:
    mailer = Mailer(desk.smtp_port, connections=4)
    started = time.monotonic()
    pending = []
    for n in range(plan.mails):
        await asyncio.sleep(max(0.0, started + n * plan.seconds / plan.mails - time.monotonic()))
        key = f"e{n}"
        raw = mail(key, n % plan.conversations, f"{key} письмо клиента ✉️")
        pending.append(asyncio.create_task(_until_250(mailer, raw, key, load)))
    await asyncio.gather(*pending)


async def _until_250(mailer: Mailer, raw: bytes, key: str, load: Load) -> None:
    delay = 0.2
    while await mailer.send(raw) != 250:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 3.0)
    load.acked.add(key)


async def send_replies(desk: FullDesk, plan: Plan, load: Load) -> None:
    token = await desk.login("agent0")
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + plan.seconds
    n = 0
    async with httpx.AsyncClient(base_url=desk.url("inbox"), headers=headers, timeout=10) as http:
        while time.monotonic() < deadline:
            await asyncio.sleep(1 / plan.reply_rate)
            try:
                page = await http.get("/api/v1/tickets", params={"limit": 100})
                tickets = [t["id"] for t in page.json()["items"]] if page.is_success else []
            except httpx.HTTPError:
                continue
            if not tickets:
                continue
            n += 1
            text = f"r{n} ответ агента"
            try:
                answer = await http.post(
                    f"/api/v1/tickets/{random.choice(tickets)}/messages", json={"text": text}
                )
            except httpx.HTTPError:
                load.unconfirmed.add(text)
                continue
            if answer.status_code == 201:
                load.replies.add(text)


async def inject_faults(desk: FullDesk, plan: Plan, load: Load) -> None:
    rng = random.Random(plan.seed)
    slot = plan.seconds / 10
    started = time.monotonic()

    async def at(index: int) -> None:
        moment = started + slot * (index + 0.3 + 0.5 * rng.random())
        await asyncio.sleep(max(0.0, moment - time.monotonic()))

    for index, service in enumerate(
        ["store", "router", "telegram", "inbox", "email", "vk", "viber"]
    ):
        await at(index)
        desk.kill(service)
        load.faults.append(f"{time.monotonic() - started:5.1f}s SIGKILL {service}")
    await at(7)
    load.faults.append(f"{time.monotonic() - started:5.1f}s NATS stop")
    desk.nats.stop()
    await asyncio.sleep(2.0)
    desk.nats.start()
    load.faults.append(f"{time.monotonic() - started:5.1f}s NATS start")
    await at(8)
    desk.bot_api.fail_for(10.0, BROKEN, TOO_MANY)
    load.faults.append(f"{time.monotonic() - started:5.1f}s Bot API 500/429 for 10 s")


async def kill_a_nats_node(desk: FullDesk, plan: Plan, load: Load) -> None:
    """The cluster's fault: the node leading INBOUND (where webhooks write) is SIGKILLed a
    third into the load and started again two thirds in; the services and the load carry on
    through the other two."""
    assert desk.cluster is not None and desk.nc is not None
    started = time.monotonic()
    await asyncio.sleep(plan.seconds / 3)
    leader = (await desk.nc.jetstream().stream_info(streams.INBOUND.name)).cluster
    index = int(leader.leader[1:]) if leader and leader.leader else 0
    desk.cluster.kill(index)
    load.faults.append(f"{time.monotonic() - started:5.1f}s SIGKILL NATS node n{index}")
    await asyncio.sleep(plan.seconds / 3)
    desk.cluster.restart(index)
    load.faults.append(f"{time.monotonic() - started:5.1f}s NATS node n{index} started again")


async def consumers_left(nc: Client) -> dict[str, tuple[int, int]]:
    """Durable consumers with messages pending or unacked: name -> (pending, unacked)."""
    js = nc.jetstream()
    left = {}
    for info in await js.streams_info():
        for consumer in await js.consumers_info(info.config.name):
            if consumer.config.durable_name and (consumer.num_pending or consumer.num_ack_pending):
                left[consumer.name] = (consumer.num_pending, consumer.num_ack_pending)
    return left


async def conversations(nc: Client) -> list[q.TicketDetail]:
    found: list[q.TicketDetail] = []
    cursor = None
    while True:
        query = q.ListTickets(limit=500, cursor=cursor)
        page = q.TicketPage.model_validate_json(
            (await nc.request(subjects.query("list"), query.to_bytes(), 10)).data
        )
        for ticket in page.items:
            reply = await nc.request(
                subjects.query("get"), q.GetTicket(ticket_id=ticket.id).to_bytes(), 10
            )
            found.append(q.TicketDetail.model_validate_json(reply.data))
        if not page.next_cursor:
            return found
        cursor = page.next_cursor


async def dead_letters(nc: Client) -> list[bytes]:
    js = nc.jetstream()
    info = await js.stream_info(streams.DEAD_LETTER.name)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        with contextlib.suppress(Exception):
            found.append((await js.get_msg(streams.DEAD_LETTER.name, seq)).data or b"")
    return found


async def router_assignments(nc: Client, tickets: list[q.TicketDetail]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for detail in tickets:
        query = q.GetAudit(ticket_id=detail.ticket.id)
        trail = q.AuditTrail.model_validate_json(
            (await nc.request(subjects.query("audit"), query.to_bytes(), 10)).data
        )
        counts[detail.ticket.id] = sum(
            1 for e in trail.entries if e.actor == "router" and e.action == "assigned"
        )
    return counts


async def settle(desk: FullDesk, plan: Plan, load: Load) -> list[q.TicketDetail]:
    """Wait until every acked update is stored and every accepted reply is final."""
    assert desk.nc is not None
    deadline = time.monotonic() + plan.settle
    while True:
        tickets = await conversations(desk.nc)
        texts = {m.text.split()[0] for t in tickets for m in t.messages if m.direction == "inbound"}
        final = {
            m.text
            for t in tickets
            for m in t.messages
            if m.direction == "outbound" and m.delivery_status in ("sent", "failed")
        }
        left = await consumers_left(desk.nc)
        if load.acked <= texts and load.replies <= final and not left:
            return tickets
        if time.monotonic() > deadline:
            return tickets
        await asyncio.sleep(2.0)


def summarize(
    load: Load, tickets: list[q.TicketDetail], delivered_texts: list[str]
) -> dict[str, Any]:
    inbound = Counter(
        m.text.split()[0] for t in tickets for m in t.messages if m.direction == "inbound"
    )
    replies = {m.text: m for t in tickets for m in t.messages if m.direction == "outbound"}
    deliveries = Counter(delivered_texts)
    delivered = {t for t in load.replies if deliveries[t] >= 1}
    failed = {
        t
        for t in load.replies - delivered
        if t in replies and replies[t].delivery_status == "failed" and replies[t].delivery_reason
    }
    inbound_duplicates = sum(n - 1 for k, n in inbound.items() if k in load.acked and n > 1)
    reply_duplicates = sum(n - 1 for t, n in deliveries.items() if n > 1)
    return {
        "sent": len(load.acked),
        "stored": len(load.acked & set(inbound)),
        "duplicates": inbound_duplicates + reply_duplicates,
        "lost": len(load.acked - set(inbound)) + len(load.replies - delivered - failed),
        "delivered": len(delivered),
        "failed": len(failed),
    }


Faults = Callable[[FullDesk, Plan, Load], Awaitable[None]]


async def run(
    plan: Plan, root: Path, faults: Faults = inject_faults, nats_nodes: int = 1
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Returns the summary and the details the checks need. `nats_nodes=3` runs the desk on
    a NATS cluster with its streams at R3 (and `faults=kill_a_nats_node`)."""
    env = {"RELAYDESK_ROUTER_SWEEP_INTERVAL": "1"}
    desk = FullDesk(root, agents=3, extra_env=env, nats_nodes=nats_nodes)
    await desk.start()
    assert desk.nc is not None
    stop = asyncio.Event()
    load = Load()
    online = asyncio.create_task(keep_online(desk.nc, ["agent0", "agent1", "agent2"], stop))
    try:
        await asyncio.gather(
            send_updates(desk, plan, load),
            send_mails(desk, plan, load),
            send_vk(desk, plan, load),
            send_viber(desk, plan, load),
            send_replies(desk, plan, load),
            faults(desk, plan, load),
        )
        await desk.healthy(timeout=60)
        tickets = await settle(desk, plan, load)
        delivered = [c.params.get("text", "") for c in desk.bot_api.sent()] + desk.mailed()
        delivered += [s.message for s in desk.vk_api.sent]
        delivered += [str(m.get("text", "")) for m in desk.viber_api.sent]
        summary = summarize(load, tickets, delivered)
        details = {
            "consumers_left": await consumers_left(desk.nc),
            "dead_letters": await dead_letters(desk.nc),
            "assignments": (assigned := await router_assignments(desk.nc, tickets)),
            # what a failing run needs to be understood: the tickets the router never assigned
            "never_assigned": [
                {
                    k: getattr(d.ticket, k)
                    for k in (
                        "id",
                        "channel",
                        "status",
                        "department",
                        "assignee",
                        "created_at",
                        "updated_at",
                    )
                }
                for d in tickets
                if not assigned[d.ticket.id]
            ],
            "malformed_sent": load.malformed,
            "unconfirmed_replies": len(load.unconfirmed),
            "replies_accepted": len(load.replies),
            "faults": load.faults,
            "restarts": desk.restarts(),
            "seed": plan.seed,
        }
    finally:
        stop.set()
        await desk.stop()
        if log := os.environ.get("RELAYDESK_CHAOS_LOG"):  # every service's output, to study
            await asyncio.to_thread(Path(log).write_text, "\n".join(desk.log))
    await online
    return summary, details
