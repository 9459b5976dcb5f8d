"""The visitor's side of a web chat: one WebSocket per browser tab, any number of tabs.

Protocol (JSON text frames). The widget sends `{"token"?, "name"?, "email"?, "department"?,
"language"?, "timezone"?}` first; the server answers `{"type": "hello", "token", "greeting",
"departments", "prechat", "online"}` and `{"type": "history", "lines": […]}`. Then, from the
visitor:
- `{"type": "message", "id", "text", "files"?: [upload receipts], "choice"?}` (`choice`: the
  data of a button under an agent's line the visitor pressed; `text` its title), acked with
  `{"type": "ack", "id"}` once it is in JetStream, or `{"type": "error", "id", "reason"}`;
- `{"type": "typing"}` while typing (agents see it for a few seconds);
- `{"type": "received" | "seen", "ids": [line ids]}` for agents' lines the browser showed,
  and the visitor looked at: recorded on the message as delivered and read.
And to the visitor: `{"type": "line", "line": {…}}` (an agent's reply, or the visitor's own
from another tab) and `{"type": "typing"}` (an agent is typing).
"""

import asyncio
import contextlib
import logging
import secrets as random_secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from nats.aio.client import Client
from nats.js import JetStreamContext
from pydantic_core import from_json
from starlette.websockets import WebSocket, WebSocketDisconnect

from channels._adapter.capabilities import Part
from channels._adapter.delivery import DeliveryReporter
from channels._adapter.inbound import InboundPublisher
from channels._adapter.outcome import Outcome, Sent
from channels._adapter.ratelimit import TokenBucket
from channels.webchat import transcript, uploads, visitors
from channels.webchat.limits import AddressLimits
from channels.webchat.settings import Site, WebchatSettings
from channels.webchat.staging import Staging
from contracts import subjects
from contracts.menus import is_choice
from contracts.messages import DeliveryStatus, InboundMessage, OutboundMessage, Sender
from contracts.presence import PRESENCE_BUCKET, AgentPresence
from contracts.typing import Typing

log = logging.getLogger("relaydesk.webchat")
HELLO_TIMEOUT = 10.0
PRESENCE_FRESH = 120.0  # seconds: a presence older than this is a vanished agent
MAX_FRAME = 20_000  # characters; a message's own limit is checked after parsing
VISITOR_RATE, VISITOR_BURST = 1.0, 5  # messages per second a visitor may send, and a burst
TYPING_EVERY = 2.0  # seconds between two typing indicators passed on from one tab
MAX_REPORTED = 100  # line ids in one received/seen frame
REPORTS: dict[str, DeliveryStatus] = {"received": "delivered", "seen": "read"}


@dataclass(eq=False)
class Tab:
    """One open connection of a visitor, and the agents' lines it has shown."""

    ws: WebSocket
    account: str
    visitor: str
    profile: dict[str, str]
    address: str
    bucket: TokenBucket = field(default_factory=lambda: TokenBucket(VISITOR_RATE, VISITOR_BURST))
    agent_lines: dict[str, transcript.Line] = field(default_factory=dict)
    typed_at: float = 0.0

    async def send(self, frame: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):  # a closed tab reads it from history later
            await self.ws.send_json(frame)


class Chat:
    def __init__(self, settings: WebchatSettings, key: bytes) -> None:
        self.settings = settings
        self.sites: dict[str, Site] = {s.account: s for s in settings.webchat_sites}
        self.key = key
        self.tabs: defaultdict[tuple[str, str], set[Tab]] = defaultdict(set)
        self.addresses = AddressLimits(
            settings.webchat_ip_connections, settings.webchat_ip_rate, settings.webchat_ip_burst
        )
        self.nc: Client
        self.js: JetStreamContext
        self.inbound: InboundPublisher
        self.reports: DeliveryReporter
        self.staging: Staging | None = None  # uploads waiting for a message (app.py sets it)

    def connect(self, nc: Client) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.inbound = InboundPublisher(self.js)
        self.reports = DeliveryReporter(self.js)

    def site_for(self, account: str, origin: str) -> Site | None:
        site = self.sites.get(account)
        if site is None or ("*" not in site.origins and origin not in site.origins):
            log.warning("web chat for %r refused from origin %r", account, origin)
            return None
        return site

    async def serve(self, ws: WebSocket) -> None:
        account = ws.path_params["account"]
        site = self.site_for(account, ws.headers.get("origin", ""))
        if site is None:
            await ws.close(code=4403)
            return
        address = ws.client.host if ws.client else "unknown"
        await ws.accept()
        if not self.addresses.connect(address):
            await ws.send_json({"type": "error", "reason": "too many connections"})
            await ws.close(code=4429)
            return
        try:
            await self._converse(ws, site, address)
        finally:
            self.addresses.disconnect(address)

    async def _converse(self, ws: WebSocket, site: Site, address: str) -> None:
        try:
            first = await asyncio.wait_for(ws.receive_json(), HELLO_TIMEOUT)
        except (TimeoutError, ValueError, WebSocketDisconnect):
            await ws.close(code=4400)
            return
        token = first.get("token") if isinstance(first, dict) else None
        visitor = visitors.visitor_of(token, self.key) if isinstance(token, str) else None
        if visitor is None:
            token = visitors.new_token(self.key)
            visitor = visitors.visitor_of(token, self.key)
        if visitor is None:  # a token just signed with our own key always reads back
            raise RuntimeError("a new visitor token does not verify: the signing key is broken")
        token = visitors.sign(visitor, self.key)  # an older kind of token is renewed
        tab = Tab(ws, site.account, visitor, _profile(first, site), address)
        await ws.send_json(
            {
                "type": "hello",
                "token": token,
                "greeting": site.greeting,
                "departments": [d.model_dump() for d in site.departments],
                "prechat": site.prechat,
                "online": await self.anyone_online(),
            }
        )
        lines = await transcript.history(self.js, site.account, visitor)
        tab.agent_lines = {x.id: x for x in lines if x.who == "agent"}
        await ws.send_json({"type": "history", "lines": [x.model_dump(mode="json") for x in lines]})
        self.tabs[(site.account, visitor)].add(tab)
        try:
            while True:
                await self._frame(tab, await ws.receive_text())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.tabs[(site.account, visitor)].discard(tab)
            if not self.tabs[(site.account, visitor)]:
                del self.tabs[(site.account, visitor)]

    async def _frame(self, tab: Tab, raw: str) -> None:
        try:
            frame = from_json(raw[:MAX_FRAME])
            if len(raw) > MAX_FRAME:
                raise ValueError(f"a frame has at most {MAX_FRAME} characters")
            kind = frame.get("type") if isinstance(frame, dict) else None
            if kind not in ("message", "typing", *REPORTS):
                raise ValueError('expected {"type": "message" | "typing" | "received" | "seen"}')
        except ValueError as error:
            await tab.send({"type": "error", "reason": f"bad frame: {error}"})
            return
        if kind == "message":
            await self._said(tab, frame)
        elif kind == "typing":
            await self._typing(tab)
        else:
            await self._reported(tab, REPORTS[kind], frame.get("ids"))

    async def _said(self, tab: Tab, frame: dict[str, Any]) -> None:
        message_id = str(frame.get("id") or random_secrets.token_hex(8))[:64]
        text = str(frame.get("text") or "").strip()
        # A button of ours pressed (its data, checked here); the text is its title.
        choice = frame.get("choice") if isinstance(frame.get("choice"), str) else None
        choice = choice if choice and is_choice(choice) else None
        files = uploads.attachments(frame.get("files"), tab.visitor, self.key)
        limit = self.settings.webchat_max_chars
        if files is None or (not text and not files) or len(text) > limit:
            reason = f"a message has 1 to {limit} characters, or files uploaded in this chat"
            await tab.send({"type": "error", "id": message_id, "reason": reason})
            return
        if not tab.bucket.take() or not self.addresses.message(tab.address):
            await tab.send({"type": "error", "id": message_id, "reason": "slow down"})
            return
        if files and self.staging is not None and not self.staging.use(files):
            reason = "a file was not sent in time and is gone: upload it again"
            await tab.send({"type": "error", "id": message_id, "reason": reason})
            return
        message = InboundMessage(
            channel="webchat",
            account=tab.account,
            thread_key=tab.visitor,
            external_id=message_id,
            sender=Sender(
                channel_user_id=tab.visitor,
                display_name=tab.profile.get("name"),
                email=tab.profile.get("email"),
                language=tab.profile.get("language"),
                timezone=tab.profile.get("timezone"),
                page=tab.profile.get("page"),
            ),
            text=text,
            choice=choice,
            attachments=files,
            department_hint=tab.profile.get("department"),
        )
        line = transcript.Line(id=message_id, who="visitor", text=text, files=files)
        try:
            await self.inbound.publish(message)
            await transcript.append(self.js, tab.account, tab.visitor, line)
        except Exception as error:  # not stored: the widget keeps it and sends it again
            log.warning("visitor message not stored: %s", error)
            await tab.send({"type": "error", "id": message_id, "reason": "try again"})
            return
        await tab.send({"type": "ack", "id": message_id})
        for other in list(self.tabs[(tab.account, tab.visitor)] - {tab}):
            await other.send({"type": "line", "line": line.model_dump(mode="json")})

    async def _typing(self, tab: Tab) -> None:
        now = time.monotonic()
        if now - tab.typed_at < TYPING_EVERY:
            return
        tab.typed_at = now
        typing = Typing(
            channel="webchat", account=tab.account, thread_key=tab.visitor, who="customer"
        )
        await self.nc.publish(subjects.TYPING_CUSTOMER, typing.to_bytes())

    async def _reported(self, tab: Tab, status: DeliveryStatus, ids: Any) -> None:
        """Delivered/read, for agents' lines of this visitor's own conversation only. A line's
        id is the platform's id of its message (see `deliver`): the store resolves it."""
        for line_id in ids[:MAX_REPORTED] if isinstance(ids, list) else []:
            if str(line_id) not in tab.agent_lines:
                continue
            with contextlib.suppress(Exception):  # NATS away: the next report says as much
                await self.reports.receipt("webchat", tab.account, str(line_id), status)

    async def deliver(self, out: OutboundMessage, part: Part) -> Outcome:
        """An agent's reply (always one part: the widget takes any length and files along):
        into the visitor's transcript, then to each open tab."""
        line = transcript.Line(
            id=out.id, who="agent", text=out.text, files=out.attachments, buttons=out.buttons
        )
        await transcript.append(self.js, out.account, out.thread_key, line)
        for tab in list(self.tabs.get((out.account, out.thread_key), ())):
            tab.agent_lines[line.id] = line
            await tab.send({"type": "line", "line": line.model_dump(mode="json")})
        return Sent(out.id)

    async def agent_typing(self, typing: Typing) -> None:
        for tab in list(self.tabs.get((typing.account, typing.thread_key), ())):
            await tab.send({"type": "typing"})

    async def anyone_online(self) -> bool:
        """Whether an agent is online now (the inbox keeps presence fresh); when nobody is,
        the widget says so and asks for an email to answer later."""
        try:
            kv = await self.js.key_value(PRESENCE_BUCKET)
            keys = await kv.keys()
        except Exception:  # no bucket yet, or no keys: nobody has ever been online
            return False
        fresh = time.time() - PRESENCE_FRESH
        for key in keys:
            with contextlib.suppress(Exception):
                entry = await kv.get(key)
                seen = AgentPresence.model_validate_json(entry.value or b"")
                if seen.status == "online" and seen.at >= fresh:
                    return True
        return False


def _profile(first: Any, site: Site) -> dict[str, str]:
    """What the pre-chat form said (name, email, topic), checked against the site's topics,
    and the page the visitor is on (an http(s) address, for the agent to see)."""
    if not isinstance(first, dict):
        return {}
    found = {
        k: str(first[k]).strip()[:200]
        for k in ("name", "email", "language", "timezone")
        if first.get(k)
    }
    if "@" not in found.get("email", "@"):
        found.pop("email")
    department = first.get("department")
    if isinstance(department, str) and department in {d.id for d in site.departments}:
        found["department"] = str(department)
    page = first.get("page")
    if isinstance(page, str) and urlsplit(page).scheme in ("http", "https") and len(page) <= 500:
        found["page"] = page
    return found
