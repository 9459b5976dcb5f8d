"""The web chat service: `/widget.js`, the visitor's WebSocket, replies pushed to every open
tab of that visitor, and a demo page.

Visitor protocol (JSON frames): the widget sends `{"token"?, "name"?}` first; the server
answers `{"type": "hello", "token", "greeting"}` and `{"type": "history", "lines": […]}`.
Then `{"type": "message", "id", "text"}` from the visitor is acknowledged with
`{"type": "ack", "id"}` once it is in JetStream (or `{"type": "error", …}`), and agents'
replies arrive as `{"type": "line", "line": {…}}`.
"""

import asyncio
import contextlib
import logging
import secrets as random_secrets
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic_core import from_json
from starlette.applications import Starlette
from starlette.responses import FileResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from channels._adapter.inbound import InboundPublisher
from channels._adapter.outbound import OutboundWorker
from channels._adapter.outcome import Outcome, Sent
from channels._adapter.ratelimit import TokenBucket
from channels.webchat import transcript, visitors
from channels.webchat.settings import Site, WebchatSettings
from contracts import streams
from contracts.messages import InboundMessage, OutboundMessage, Sender
from contracts.presence import PRESENCE_BUCKET, AgentPresence
from services.runtime.broker import make_broker
from services.runtime.http import service_app

log = logging.getLogger("relaydesk.webchat")
STATIC = Path(__file__).parent / "static"
HELLO_TIMEOUT = 10.0
PRESENCE_FRESH = 120.0  # seconds: a presence older than this is a vanished agent
MAX_FRAME = 20_000  # characters; a message's own limit is checked after parsing
VISITOR_RATE, VISITOR_BURST = 1.0, 5  # messages per second a visitor may send, and a burst


def create_app(settings: WebchatSettings | None = None) -> Starlette:
    settings = settings or WebchatSettings()
    broker = make_broker(settings, "webchat")
    sites: dict[str, Site] = {s.account: s for s in settings.webchat_sites}
    key = _key(settings)
    tabs: defaultdict[tuple[str, str], set[WebSocket]] = defaultdict(set)
    parts: dict[str, Any] = {}

    async def deliver(out: OutboundMessage) -> Outcome:
        line = transcript.Line(id=out.id, who="agent", text=out.text)
        await transcript.append(parts["js"], out.account, out.thread_key, line)
        for ws in list(tabs[(out.account, out.thread_key)]):
            with contextlib.suppress(Exception):  # a closed tab reads it from history later
                await ws.send_json({"type": "line", "line": line.model_dump(mode="json")})
        return Sent(out.id)

    async def chat(ws: WebSocket) -> None:
        account = ws.path_params["account"]
        site = sites.get(account)
        origin = ws.headers.get("origin", "")
        if site is None or ("*" not in site.origins and origin not in site.origins):
            log.warning("web chat for %r refused from origin %r", account, origin)
            await ws.close(code=4403)
            return
        await ws.accept()
        try:
            first = await asyncio.wait_for(ws.receive_json(), HELLO_TIMEOUT)
        except (TimeoutError, ValueError, WebSocketDisconnect):
            await ws.close(code=4400)
            return
        token = first.get("token") if isinstance(first, dict) else None
        visitor = visitors.visitor_of(token, key) if isinstance(token, str) else None
        if visitor is None:
            token = visitors.new_token(key)
            visitor = visitors.visitor_of(token, key)
        assert visitor is not None
        profile = _profile(first, site)
        js = parts["js"]
        await ws.send_json(
            {
                "type": "hello",
                "token": token,
                "greeting": site.greeting,
                "departments": [d.model_dump() for d in site.departments],
                "prechat": site.prechat,
                "online": await anyone_online(),
            }
        )
        lines = await transcript.history(js, account, visitor)
        await ws.send_json({"type": "history", "lines": [x.model_dump(mode="json") for x in lines]})
        tabs[(account, visitor)].add(ws)
        bucket = TokenBucket(VISITOR_RATE, VISITOR_BURST)
        try:
            while True:
                raw = await ws.receive_text()
                try:
                    frame = from_json(raw[:MAX_FRAME])
                    if len(raw) > MAX_FRAME:
                        raise ValueError(f"a frame has at most {MAX_FRAME} characters")
                    if not isinstance(frame, dict) or frame.get("type") != "message":
                        raise ValueError('expected {"type": "message", "id", "text"}')
                except ValueError as error:
                    await ws.send_json({"type": "error", "reason": f"bad frame: {error}"})
                    continue
                await said(ws, frame, account, visitor, profile, bucket)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            tabs[(account, visitor)].discard(ws)

    async def said(
        ws: WebSocket, frame: dict[str, Any], account: str, visitor: str, profile: dict[str, str],
        bucket: TokenBucket,
    ) -> None:  # fmt: skip
        message_id = str(frame.get("id") or random_secrets.token_hex(8))[:64]
        text = str(frame.get("text") or "").strip()
        if not text or len(text) > settings.webchat_max_chars:
            reason = f"a message has 1 to {settings.webchat_max_chars} characters"
            await ws.send_json({"type": "error", "id": message_id, "reason": reason})
            return
        if bucket.reserve() > 0:
            await ws.send_json({"type": "error", "id": message_id, "reason": "slow down"})
            return
        message = InboundMessage(
            channel="webchat",
            account=account,
            thread_key=visitor,
            external_id=message_id,
            sender=Sender(
                channel_user_id=visitor,
                display_name=profile.get("name"),
                email=profile.get("email"),
                language=profile.get("language"),
            ),
            text=text,
            department_hint=profile.get("department"),
        )
        try:
            await parts["inbound"].publish(message)
            line = transcript.Line(id=message_id, who="visitor", text=text)
            await transcript.append(parts["js"], account, visitor, line)
        except Exception as error:  # not stored: the widget keeps it and sends it again
            log.warning("visitor message not stored: %s", error)
            await ws.send_json({"type": "error", "id": message_id, "reason": "try again"})
            return
        await ws.send_json({"type": "ack", "id": message_id})
        for other in list(tabs[(account, visitor)] - {ws}):
            with contextlib.suppress(Exception):
                await other.send_json({"type": "line", "line": line.model_dump(mode="json")})

    async def anyone_online() -> bool:
        """Whether an agent is online now (the inbox keeps presence fresh); when nobody is,
        the widget says so and asks for an email to answer later."""
        try:
            kv = await parts["js"].key_value(PRESENCE_BUCKET)
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

    async def widget(request: Any) -> Response:
        return FileResponse(STATIC / "widget.js", media_type="text/javascript")

    async def demo(request: Any) -> Response:
        return FileResponse(STATIC / "demo.html", media_type="text/html")

    async def start() -> None:
        js = broker.connection.jetstream()
        parts["js"] = js
        parts["inbound"] = InboundPublisher(js)
        worker = OutboundWorker(js, "webchat", deliver)
        await worker.start()
        parts["outbound"] = worker

    async def stop() -> None:
        if "outbound" in parts:
            await parts["outbound"].stop()

    return service_app(
        "webchat",
        broker,
        settings,
        settings.webchat_port,
        routes=[
            Route("/widget.js", widget),
            Route("/demo", demo),
            WebSocketRoute("/webchat/{account}/ws", chat),
        ],
        after_startup=[start],
        before_shutdown=[stop],
        stream_specs=(*streams.ALL_STREAMS, streams.WEBCHAT),
    )


def _profile(first: Any, site: Site) -> dict[str, str]:
    """What the pre-chat form said (name, email, topic), checked against the site's topics."""
    if not isinstance(first, dict):
        return {}
    found = {k: str(first[k]).strip()[:200] for k in ("name", "email", "language") if first.get(k)}
    if "@" not in found.get("email", "@"):
        found.pop("email")
    department = first.get("department")
    if department and department in {d.id for d in site.departments}:
        found["department"] = str(department)
    return found


def _key(settings: WebchatSettings) -> bytes:
    if settings.webchat_secret is not None:
        return settings.webchat_secret.get_secret_value().encode()
    path = settings.data_dir / "webchat-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(random_secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip().encode()
