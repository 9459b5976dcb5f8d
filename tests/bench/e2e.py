"""End-to-end benchmark on the whole desk (`make bench e2e`): NATS, store, router, inbox,
webchat and the Telegram adapter under the supervisor, against the fake Bot API.

1. Ingest: 50,000 webhook updates over 5,000 conversations, as fast as the adapter accepts
   them, until every message is stored and every conversation assigned to an agent.
2. Latency: 200 updates a second for 60 s into those (routed) conversations; from the webhook
   POST to the `message.created` frame on an agent's inbox WebSocket.
3. Reply: an agent's reply POSTed to the inbox until the fake Bot API receives sendMessage.
4. VK: 20,000 Callback API events over 2,000 conversations, as fast as the adapter accepts
   them, until stored and assigned (its rate is compared with the Telegram adapter's).
5. Viber: the same through signed webhooks (20,000 messages over 2,000 conversations).
6. Email: 5,000 mails, each a new conversation, handed to the SMTP ingress over 16 kept-open
   connections until every one is stored and its ticket assigned.
7. Raw limits on the same machine in the same run: JetStream publish+ack and consume+ack with
   nats-py, and batched SQLite inserts; each of our figures is also given as a ratio to them.
8. Peak RSS of each service.

Agents other than the one whose stream measures latency are put online in the presence bucket
directly, as other inbox replicas would: six open streams would each receive every event.
"""

import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import websockets
from nats.aio.client import Client

from contracts.messages import InboundMessage, Sender
from services.runtime.broker import ensure_streams
from services.runtime.nats_server import NatsServer
from tests.bench.cpu import CpuMeter, cores_needed
from tests.bench.router import percentile
from tests.bench.store import publish, raw_consume_rate, raw_sqlite_rate
from tests.fullstack import (
    SERVICES,
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

UPDATES = 50_000
TARGET = 3_000  # messages a second through the whole desk
CONVERSATIONS = 5_000
FIRST_CHAT = 700_000
STEADY_RATE = 200
STEADY_SECONDS = 60
REPLIES = 300
REPLY_RATE = 10  # a third of the per-bot limit the adapter keeps (30/s)
RAW_MESSAGES = 50_000
VK_EVENTS = 20_000
VK_CONVERSATIONS = 2_000
FIRST_VK_PEER = 60_000_000
FIRST_VIBER_USER = 80_000_000
MAILS = 5_000
MAIL_TARGET = 500  # mails a second, stored and assigned
FIRST_MAIL_CONVERSATION = 1_000_000


async def raw_limits(root: Path) -> dict[str, float]:
    rows = [
        InboundMessage(
            channel="telegram", account="bench", thread_key=f"chat-{n % 5000}",
            external_id=str(n), sender=Sender(channel_user_id=f"u{n % 5000}"),
            text=f"Здравствуйте, не проходит оплата заказа №{n} 🙏",
        )
        for n in range(RAW_MESSAGES)
    ]  # fmt: skip
    payloads = [(m.to_bytes(), m.dedupe_key) for m in rows]
    with NatsServer(root / "raw-nats", port=0) as server:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await ensure_streams(js)
        started = time.perf_counter()
        await publish(js, "inbound.telegram", payloads)
        publish_rate = len(payloads) / (time.perf_counter() - started)
        consume_rate = await raw_consume_rate(js, payloads)
        await nc.close()
    sqlite_rate = raw_sqlite_rate(root / "raw.sqlite3", rows)
    return {
        "js_publish_ack_per_s": round(publish_rate),
        "js_consume_ack_per_s": round(consume_rate),
        "sqlite_batched_insert_per_s": round(sqlite_rate),
    }


async def counted(nc: Client, subject: str) -> int:
    """How many messages the EVENTS stream holds on `subject` (no event is read)."""
    info = await nc.jetstream().stream_info("EVENTS", subjects_filter=subject)
    return (info.state.subjects or {}).get(subject, 0)


async def ingest(desk: FullDesk, hooks: Webhooks) -> dict[str, Any]:
    assert desk.nc is not None and desk.nats.process is not None
    nc = desk.nc
    pids = {name: [pid] for name in SERVICES if (pid := desk.pid(name)) is not None}
    meter = CpuMeter({**pids, "nats-server": [desk.nats.process.pid]})
    started = time.perf_counter()
    numbers = iter(range(UPDATES))  # shared: each sender takes the next

    async def sender() -> None:
        for n in numbers:
            chat, message_id = FIRST_CHAT + n % CONVERSATIONS, n // CONVERSATIONS + 1
            body = update(n + 1, chat, message_id, f"Не проходит оплата, заказ {n} 🙏")
            while await hooks.post(body) != 200:
                await asyncio.sleep(0.05)

    await asyncio.gather(*(sender() for _ in range(hooks.connections)))
    accepted = time.perf_counter() - started
    reached = await until_counted(
        nc,
        {"events.message.created": UPDATES, "events.ticket.assigned": CONVERSATIONS},
        started,
    )
    done = time.perf_counter() - started
    cpu = meter.per_message(UPDATES)
    return {
        "ingest_msgs_per_s": round(UPDATES / done),
        "ingest_cpu_us_per_msg": cpu,
        "cores_needed_at_target": cores_needed(cpu, TARGET),
        "webhooks_accepted_per_s": round(UPDATES / accepted),
        "ingest_seconds": round(done, 1),
        "ingest_phases": {
            "webhooks_accepted_s": round(accepted, 1),
            "all_stored_s": reached["events.message.created"],
            "all_assigned_s": reached["events.ticket.assigned"],
        },
    }


async def until_counted(nc: Client, goals: dict[str, int], started: float) -> dict[str, float]:
    """Seconds from `started` until each EVENTS subject holds its goal count of messages."""
    reached: dict[str, float] = {}
    while len(reached) < len(goals):
        for subject, goal in goals.items():
            if subject not in reached and await counted(nc, subject) >= goal:
                reached[subject] = round(time.perf_counter() - started, 1)
        if time.perf_counter() - started > 900:
            raise RuntimeError(f"stuck: reached only {reached} of {goals}")
        await asyncio.sleep(0.1)
    return reached


@dataclass
class Phase:
    """What one channel's ingest phase measured."""

    accepted_s: float
    done_s: float
    reached: dict[str, float]
    cpu: dict[str, float]

    def figures(self, prefix: str, messages: int) -> dict[str, Any]:
        return {
            f"{prefix}_ingest_msgs_per_s": round(messages / self.done_s),
            f"{prefix}_cpu_us_per_msg": self.cpu,
            f"{prefix}_accepted_per_s": round(messages / self.accepted_s),
            f"{prefix}_phases": {
                "accepted_s": round(self.accepted_s, 1),
                "all_stored_s": self.reached["events.message.created"],
                "all_assigned_s": self.reached["events.ticket.assigned"],
            },
        }


async def ingest_phase(
    desk: FullDesk,
    messages: int,
    conversations: int,
    senders: int,
    send_next: Callable[[], Awaitable[bool]],
) -> Phase:
    """`senders` loops call `send_next` (False: nothing left) until everything is sent, then
    wait until `messages` more are stored and `conversations` more tickets assigned."""
    assert desk.nc is not None and desk.nats.process is not None
    nc = desk.nc
    stored_before = await counted(nc, "events.message.created")
    assigned_before = await counted(nc, "events.ticket.assigned")
    pids = {name: [pid] for name in SERVICES if (pid := desk.pid(name)) is not None}
    meter = CpuMeter({**pids, "nats-server": [desk.nats.process.pid]})
    started = time.perf_counter()

    async def sender() -> None:
        while await send_next():
            pass

    await asyncio.gather(*(sender() for _ in range(senders)))
    accepted = time.perf_counter() - started
    goals = {
        "events.message.created": stored_before + messages,
        "events.ticket.assigned": assigned_before + conversations,
    }
    reached = await until_counted(nc, goals, started)
    return Phase(accepted, time.perf_counter() - started, reached, meter.per_message(messages))


async def vk_ingest(desk: FullDesk) -> dict[str, Any]:
    """VK events through the Callback API, the way `ingest` sends Telegram updates."""
    hooks = Webhooks(desk.url("vk"), connections=64, path=VK_CALLBACK)
    numbers = iter(range(VK_EVENTS))

    async def send_next() -> bool:
        n = next(numbers, None)
        if n is None:
            return False
        peer = FIRST_VK_PEER + n % VK_CONVERSATIONS
        body = vk_event(n, peer, 100_000 + n, f"Не проходит оплата, заказ {n} 🙏")
        while await hooks.post(body) != 200:
            await asyncio.sleep(0.05)
        return True

    phase = await ingest_phase(desk, VK_EVENTS, VK_CONVERSATIONS, hooks.connections, send_next)
    return phase.figures("vk", VK_EVENTS)


async def viber_ingest(desk: FullDesk) -> dict[str, Any]:
    """Viber messages through signed webhooks, the way `vk_ingest` sends VK events."""
    hooks = Webhooks(desk.url("viber"), connections=64, path=VIBER_WEBHOOK)
    numbers = iter(range(VK_EVENTS))

    async def send_next() -> bool:
        n = next(numbers, None)
        if n is None:
            return False
        user = FIRST_VIBER_USER + n % VK_CONVERSATIONS
        body, signed = viber_message(9_000_000 + n, user, f"Не проходит оплата, заказ {n} 🙏")
        while await hooks.post(body, headers=signed) != 200:
            await asyncio.sleep(0.05)
        return True

    phase = await ingest_phase(desk, VK_EVENTS, VK_CONVERSATIONS, hooks.connections, send_next)
    return phase.figures("viber", VK_EVENTS)


async def email_ingest(desk: FullDesk) -> dict[str, Any]:
    """Every mail a new conversation: the costlier case (a ticket to route and assign each)."""
    mailer = Mailer(desk.smtp_port, connections=16)
    queue = iter(
        [mail(f"bench-{n}", FIRST_MAIL_CONVERSATION + n, f"Письмо {n}: не проходит оплата 🙏")
         for n in range(MAILS)]
    )  # fmt: skip
    refused: list[int] = []

    async def send_next() -> bool:
        raw = next(queue, None)
        if raw is None:
            return False
        while (code := await mailer.send(raw)) != 250:
            refused.append(code)
            await asyncio.sleep(0.05)
        return True

    phase = await ingest_phase(desk, MAILS, MAILS, mailer.connections, send_next)
    return phase.figures("email", MAILS) | {
        "email_cores_needed_at_target": cores_needed(phase.cpu, MAIL_TARGET),
        "email_not_accepted_at_first": len(refused),
    }


async def latency(desk: FullDesk, hooks: Webhooks) -> dict[str, Any]:
    token = await desk.login("agent0")
    url = desk.url("inbox").replace("http://", "ws://") + "/api/v1/stream"
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"token": token}))
        json.loads(await ws.recv())  # hello

        async def read() -> None:
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "message.created":
                    text = frame["data"]["message"]["text"]
                    if text.startswith("lat-"):
                        seen.setdefault(text.split()[0], time.perf_counter())

        reader = asyncio.create_task(read())
        started = time.perf_counter()
        posts = []
        total = STEADY_RATE * STEADY_SECONDS
        for k in range(total):
            await asyncio.sleep(max(0.0, started + k / STEADY_RATE - time.perf_counter()))
            key = f"lat-{k}"
            chat = FIRST_CHAT + k % CONVERSATIONS
            body = update(UPDATES + k + 1, chat, 1000 + k // CONVERSATIONS, f"{key} где заказ?")
            sent[key] = time.perf_counter()
            posts.append(asyncio.create_task(hooks.post(body)))
        await asyncio.gather(*posts)
        deadline = time.perf_counter() + 30
        while len(seen) < total and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        reader.cancel()
    waits = [(seen[k] - sent[k]) * 1000 for k in seen]
    missing = sorted(set(sent) - set(seen), key=lambda k: int(k[4:]))
    print(f"latency: {len(missing)} not seen, e.g. {missing[:10]}; answers {hooks.statuses}")
    return {
        "webhook_to_agent": {
            "p50_ms": round(percentile(waits, 50), 1),
            "p95_ms": round(percentile(waits, 95), 1),
            "p99_ms": round(percentile(waits, 99), 1),
            "max_ms": round(max(waits), 1),
        },
        "latency_samples": len(waits),
        "latency_missing": total - len(waits),
    }


async def replies(desk: FullDesk) -> dict[str, Any]:
    token = await desk.login("agent0")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=desk.url("inbox"), headers=headers, timeout=30) as http:
        tickets: list[str] = []
        cursor = None
        while len(tickets) < REPLIES:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = (await http.get("/api/v1/tickets", params=params)).json()
            tickets += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
        sent: dict[str, float] = {}
        started = time.perf_counter()
        for k, ticket in enumerate(tickets):
            await asyncio.sleep(max(0.0, started + k / REPLY_RATE - time.perf_counter()))
            text = f"reply-{k} Уже проверяем 👀"
            sent[text] = time.monotonic()
            answer = await http.post(f"/api/v1/tickets/{ticket}/messages", json={"text": text})
            answer.raise_for_status()
    deadline = time.monotonic() + 30
    arrived: dict[str, float] = {}
    while len(arrived) < len(sent) and time.monotonic() < deadline:
        for call in desk.bot_api.sent():
            if call.params.get("text") in sent:
                arrived.setdefault(call.params["text"], call.started)
        await asyncio.sleep(0.1)
    waits = [(arrived[t] - sent[t]) * 1000 for t in arrived]
    return {
        "reply": {
            "p50_ms": round(percentile(waits, 50), 1),
            "p99_ms": round(percentile(waits, 99), 1),
        },
        "reply_samples": len(waits),
    }


async def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        raw = await raw_limits(root)
        # 5,000 conversations by webhook, 2,000 by VK and by Viber, 5,000 by mail: 15 agents
        # of 1,000 tickets each.
        desk = await FullDesk(root / "desk", agents=15).start()
        stop = asyncio.Event()
        try:
            assert desk.nc is not None
            online = asyncio.create_task(
                keep_online(desk.nc, [f"agent{n}" for n in range(1, desk.agents)], stop)
            )
            hooks = Webhooks(desk.url("telegram"), connections=64)
            figures = await ingest(desk, hooks)
            print(figures, flush=True)
            figures |= await latency(desk, hooks)
            print(figures, flush=True)
            figures |= await replies(desk)
            figures |= await vk_ingest(desk)
            figures |= await viber_ingest(desk)
            print(figures, flush=True)
            figures |= await email_ingest(desk)
            print(figures, flush=True)
            figures["rss_mb"] = desk.peak_rss_mb()
            figures["restarts"] = desk.restarts()
        finally:
            stop.set()
            await desk.stop()
        await online
    figures["raw"] = raw
    ours = figures["ingest_msgs_per_s"]
    figures["vk_to_telegram_ingest"] = round(figures["vk_ingest_msgs_per_s"] / ours, 3)
    figures["viber_to_telegram_ingest"] = round(figures["viber_ingest_msgs_per_s"] / ours, 3)
    figures["ratios"] = {
        "ingest_to_js_publish": round(ours / raw["js_publish_ack_per_s"], 3),
        "ingest_to_js_consume": round(ours / raw["js_consume_ack_per_s"], 3),
        "ingest_to_sqlite_insert": round(ours / raw["sqlite_batched_insert_per_s"], 3),
    }
    return figures


def run() -> dict[str, Any]:
    return asyncio.run(main())
