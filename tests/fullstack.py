"""The whole desk for the end-to-end benchmark and the fault-injection suite: a nats-server
process (stopped and started again at will) or a three-node cluster (`nats_nodes=3`), the fake
Bot API, and store, router, inbox, telegram, webchat and email (its demo account on the SMTP
ingress) under the real `relaydesk up` supervisor (which restarts what dies), on fixed ports
so a restarted service keeps its address; `replicas={"store": 2}` runs a second store
(`store#2`) on a port of its own; plus the load generator's tools.

`Webhooks` is a minimal keep-alive HTTP/1.1 client: at thousands of requests a second httpx
spends more CPU than the adapter it is measuring, on the same two cores.
"""

import asyncio
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import nats
from nats.aio.client import Client

from contracts import commands as c
from contracts import directory as d
from contracts import subjects
from contracts.presence import PRESENCE_BUCKET, AgentPresence
from services.inbox.passwords import hash_password
from services.runtime.broker import ensure_streams
from services.runtime.kv import open_bucket
from services.runtime.nats_server import NatsServer
from services.runtime.supervisor import Supervisor
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.viber_api import FakeViberApi
from tests.fakes.vk_api import FakeVkApi
from tests.nats_cluster import NatsCluster

SERVICES = ["store", "router", "inbox", "telegram", "webchat", "email", "vk", "viber"]
VIBER_TOKEN = "viber-token-1"
VIBER_WEBHOOK = "/viber/shop/webhook"
VK_GROUP = 218000001
VK_SECRET = "bench-vk-callback-secret"
VK_CALLBACK = "/vk/shop/callback"
MAILBOX = "support@relaydesk.local"
BOT = "support_bot"
SECRET = "bench-webhook-secret"
PASSWORD = "agent-password-1"
WEBHOOK = f"/telegram/{BOT}/webhook"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def update(update_id: int, chat: int, message_id: int, text: str) -> bytes:
    """A Telegram private-chat text update, shaped like the corpus samples."""
    person = {"id": chat, "first_name": "Клиент", "last_name": str(chat), "username": f"c{chat}"}
    message = {
        "message_id": message_id,
        "from": person,
        "chat": {**person, "type": "private"},
        "date": int(time.time()),
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}, ensure_ascii=False).encode()


@dataclass
class FullDesk:
    root: Path
    agents: int = 6
    extra_env: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    nats_nodes: int = 1  # 3: a NATS cluster (`cluster`) and streams at R3
    replicas: dict[str, int] = field(default_factory=dict)  # {"store": 2}: `store#2` as well

    def __post_init__(self) -> None:
        self.children = [
            name if n == 1 else f"{name}#{n}"
            for name in SERVICES
            for n in range(1, self.replicas.get(name, 1) + 1)
        ]
        self.ports = {name: free_port() for name in self.children}
        self.smtp_port = free_port()
        self.nats = NatsServer(self.root / "nats", port=free_port())
        self.cluster = (
            NatsCluster(self.root / "cluster", self.nats_nodes) if self.nats_nodes > 1 else None
        )
        self.bot_api = FakeBotApi()
        self.vk_api = FakeVkApi()
        self.viber_api = FakeViberApi()
        self.supervisor: Supervisor | None = None
        self.running: asyncio.Task[None] | None = None
        self.nc: Client | None = None

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def nats_url(self) -> str:
        return self.cluster.url if self.cluster else self.nats.url

    @property
    def js_replicas(self) -> int:
        return min(3, self.nats_nodes)

    async def start(self) -> "FullDesk":
        if self.cluster:
            await self.cluster.start().ready()
        else:
            self.nats.start()
        self.bot_api.serve()
        self.vk_api.serve()
        self.viber_api.serve()
        vk_group = {"account": "shop", "group_id": VK_GROUP, "token": "vk1.a.bench",
                    "confirmation": "bench", "secret": VK_SECRET}  # fmt: skip
        env = {
            **os.environ,
            "RELAYDESK_NATS_URL": self.nats_url,
            "RELAYDESK_JS_REPLICAS": str(self.js_replicas),
            "RELAYDESK_DATA_DIR": str(self.root / "var"),
            "RELAYDESK_LOG_LEVEL": "WARNING",
            "RELAYDESK_INBOX_SECRET": "bench-secret-" + "x" * 32,
            "RELAYDESK_TELEGRAM_BOTS": json.dumps(
                [{"account": BOT, "token": "123:ABC", "secret": SECRET}]
            ),
            "RELAYDESK_TELEGRAM_API_BASE": f"{self.bot_api.url}/bot",
            "RELAYDESK_VK_GROUPS": json.dumps([vk_group]),
            "RELAYDESK_VK_API_BASE": f"{self.vk_api.url}/method/",
            "RELAYDESK_VIBER_BOTS": json.dumps([{"account": "shop", "token": VIBER_TOKEN}]),
            "RELAYDESK_VIBER_API_BASE": f"{self.viber_api.url}/pa/",
            **{f"RELAYDESK_{name.upper()}_PORT": str(p) for name, p in self.ports.items()},
            "RELAYDESK_EMAIL_SMTP_PORT": str(self.smtp_port),
            "RELAYDESK_EMAIL_RATING_URL": self.url("webchat"),
            **self.extra_env,
        }
        overrides = {
            name: {f"RELAYDESK_{name.partition('#')[0].upper()}_PORT": str(self.ports[name])}
            for name in self.children
            if "#" in name
        }
        self.supervisor = Supervisor(
            self.children, env, backoff_max=2.0, out=self.log.append, overrides=overrides
        )
        self.running = asyncio.create_task(self.supervisor.run())
        await self.healthy()
        self.nc = await nats.connect(self.nats_url.split(","), max_reconnect_attempts=-1)
        await ensure_streams(self.nc.jetstream(), replicas=self.js_replicas)
        await self.seed()
        return self

    async def healthy(self, services: list[str] | None = None, timeout: float = 60) -> None:
        async with httpx.AsyncClient(timeout=1) as http:
            deadline = time.monotonic() + timeout
            for service in services or self.children:
                while True:
                    with contextlib.suppress(httpx.HTTPError):
                        if (await http.get(f"{self.url(service)}/healthz")).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        tail = "\n".join(self.log[-30:])
                        raise RuntimeError(f"{service} is not healthy:\n{tail}")
                    await asyncio.sleep(0.1)

    async def seed(self) -> None:
        """The `support` department and its agents, each able to hold 1,000 tickets."""
        support = d.DepartmentView(id="support", name="Поддержка")
        await self.directory(d.PutDepartment(actor="bench", department=support))
        secret = hash_password(PASSWORD)
        for n in range(self.agents):
            agent = d.AgentView(
                id=f"agent{n}", email=f"agent{n}@desk.test", name=f"Агент {n}",
                departments=["support"], capacity=1000,
            )  # fmt: skip
            await self.directory(d.PutAgent(actor="bench", agent=agent, password_hash=secret))

    async def directory(self, command: d.DirectoryCommand) -> None:
        assert self.nc is not None
        subject = subjects.directory_command(type(command).name)
        reply = await self.nc.request(subject, command.to_bytes(), timeout=10)
        assert c.COMMAND_REPLY.validate_json(reply.data).ok, reply.data

    async def login(self, agent: str) -> str:
        async with httpx.AsyncClient(base_url=self.url("inbox"), timeout=10) as http:
            body = {"email": f"{agent}@desk.test", "password": PASSWORD}
            reply = await http.post("/api/v1/auth/login", json=body)
            reply.raise_for_status()
            token: str = reply.json()["token"]
            return token

    def mailed(self) -> list[str]:
        """The text of every reply the email service wrote out (the demo account's `.eml`
        files: one file per reply, named by its Message-ID, so a repeat would overwrite)."""
        texts = []
        for path in (self.root / "var" / "mail" / "outbox").glob("*/*.eml"):
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = parsed.get_body(("plain",)) if isinstance(parsed, EmailMessage) else None
            texts.append(body.get_content().strip() if body is not None else "")
        return texts

    def pid(self, service: str) -> int | None:
        assert self.supervisor is not None
        process = self.supervisor.children[service].process
        return process.pid if process and process.returncode is None else None

    def kill(self, service: str) -> None:
        """SIGKILL one service; the supervisor starts it again."""
        if (pid := self.pid(service)) is not None:
            os.kill(pid, signal.SIGKILL)

    def restarts(self) -> dict[str, int]:
        assert self.supervisor is not None
        return {name: child.restarts for name, child in self.supervisor.children.items()}

    def peak_rss_mb(self) -> dict[str, float]:
        """Each running service's peak resident memory (VmHWM), in MB."""
        found = {}
        for service in self.children:
            pid = self.pid(service)
            with contextlib.suppress(OSError, TypeError):
                status = Path(f"/proc/{pid}/status").read_text()
                kb = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM"))
                found[service] = round(kb / 1024, 1)
        return found

    async def stop(self) -> None:
        if self.nc is not None:
            with contextlib.suppress(Exception):
                await self.nc.close()
        if self.supervisor is not None and self.running is not None:
            self.supervisor.stop()
            await self.running
        self.nats.stop()
        if self.cluster:
            self.cluster.stop()


def vk_event(event_id: int, peer: int, message_id: int, text: str) -> bytes:
    """A VK Callback API `message_new`, shaped like tests/fixtures/vk/message_new.json."""
    message = {"date": int(time.time()), "from_id": peer, "id": message_id, "out": 0,
               "peer_id": peer, "text": text, "attachments": [], "fwd_messages": []}  # fmt: skip
    event = {"group_id": VK_GROUP, "type": "message_new", "event_id": f"e{event_id}",
             "v": "5.199", "secret": VK_SECRET,
             "object": {"message": message, "client_info": {"lang_id": 0}}}  # fmt: skip
    return json.dumps(event, ensure_ascii=False).encode()


def viber_message(token: int, user: int, text: str) -> tuple[bytes, str]:
    """A Viber `message` callback, shaped like the SDK's sample, and its signature header."""
    event = {"event": "message", "timestamp": int(time.time() * 1000), "message_token": token,
             "sender": {"id": f"u{user}=", "name": f"Клиент {user}", "api_version": 2},
             "message": {"type": "text", "text": text}, "silent": False}  # fmt: skip
    body = json.dumps(event, ensure_ascii=False).encode()
    mac = hmac.new(VIBER_TOKEN.encode(), body, hashlib.sha256).hexdigest()
    return body, f"X-Viber-Content-Signature: {mac}\r\n"


def mail(key: str, conversation: int, text: str) -> bytes:
    """A customer's mail with a unique Message-ID, in conversation `conversation` (its
    References name the conversation's first mail, as a mail client's replies do)."""
    root = f"<conv-{conversation}@customer.test>"
    return (
        f"From: Клиент {conversation} <c{conversation}@customer.test>\r\nTo: {MAILBOX}\r\n"
        f"Subject: Вопрос {conversation}\r\nMessage-ID: <{key}@customer.test>\r\n"
        f"References: {root}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{text}\r\n"
    ).encode()


class Mailer:
    """Hands mails to the desk's SMTP ingress over kept-open connections, as a busy mail
    provider does; the SMTP code of each mail (0: the connection failed)."""

    def __init__(self, port: int, connections: int = 8) -> None:
        self.port = port
        self.free: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        self.connections = connections
        self.opened = 0

    async def send(self, raw: bytes) -> int:
        if self.free.empty() and self.opened < self.connections:
            self.opened += 1
            client = aiosmtplib.SMTP(hostname="127.0.0.1", port=self.port, timeout=30)
        else:
            client = await self.free.get()
        try:
            if not client.is_connected:
                await client.connect(start_tls=False)
            await client.sendmail("c@customer.test", [MAILBOX], raw)
        except aiosmtplib.SMTPResponseException as error:
            self.free.put_nowait(client)
            return error.code
        except (aiosmtplib.SMTPException, OSError):
            client.close()
            self.free.put_nowait(client)
            return 0
        self.free.put_nowait(client)
        return 250


class Webhooks:
    """POSTs webhook bodies (Telegram updates by default, VK events with `path=VK_CALLBACK`)
    over `connections` keep-alive connections; counts answers."""

    def __init__(self, url: str, connections: int = 32, path: str = WEBHOOK) -> None:
        self.path = path
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.connections = connections
        self.opened = 0
        self.statuses: dict[int, int] = {}

    async def post(self, body: bytes, secret: str = SECRET, headers: str = "") -> int:
        """The status code, or 0 when the connection failed (the service was down);
        `headers`: more header lines, each ending in CRLF."""
        for _ in range(2):  # an idle connection the server closed is opened again, once
            if (status := await self._post(body, secret, headers)) != 0:
                return status
        return 0

    async def _post(self, body: bytes, secret: str, headers: str) -> int:
        if self.free.empty() and self.opened < self.connections:
            self.opened += 1
            try:
                self.free.put_nowait(await asyncio.open_connection(self.host, self.port))
            except OSError:
                self.opened -= 1
                return 0
        reader, writer = await self.free.get()
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        try:
            writer.write(head.encode() + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            status = int(status_line.split()[1])
        except (OSError, IndexError, ValueError, asyncio.IncompleteReadError):
            writer.close()
            self.opened -= 1
            while not self.free.empty():  # idle ones were most likely closed the same way
                self.free.get_nowait()[1].close()
                self.opened -= 1
            return 0
        self.free.put_nowait((reader, writer))
        self.statuses[status] = self.statuses.get(status, 0) + 1
        return status


async def keep_online(nc: Client, agents: list[str], stop: asyncio.Event) -> None:
    """Agents online in the presence bucket, as their inbox streams (on any replica) would
    keep them; the router assigns only to agents online."""
    kv = await open_bucket(nc.jetstream(), PRESENCE_BUCKET, 60)
    while not stop.is_set():
        for agent in agents:
            with contextlib.suppress(Exception):  # NATS restarting: the next round writes it
                await kv.put(agent, AgentPresence(status="online", at=time.time()).to_bytes())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5)
