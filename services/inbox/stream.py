"""`/api/v1/stream`: the agent's live feed of ticket and message events, resumable.

Protocol (JSON text frames):
- connect with `?token=…` or send `{"token": …}` first (within 10 s); optionally
  `last_event_id` (query or first frame) to resume after a reconnect;
- the server answers `{"type": "hello", "agent": …, "last_event_id": …}`, then one frame per
  event: `{"id": "<EVENTS stream sequence>", "type": "ticket.created", "data": {…event…}}`;
- `{"type": "ticket.typing", "data": {"ticket_id", "who": "customer"}}` (no id: not resumable)
  while the customer types, repeated every few seconds;
- `sla.warning`, `sla.breached` and `ticket.escalated` go to the department's supervisors,
  admins and the ticket's assignee; other agents who see the ticket get `ticket.changed`
  with `fields: ["sla"]`;
- a new conversation enters a department when the router routes it, as `ticket.transferred`
  (from no department); a ticket transferred out of the agent's departments arrives as
  `ticket.removed` with only its id; if the events asked for have expired, `{"type": "reset"}`
  says to reload the lists.

Each connection reads the EVENTS stream through its own ordered JetStream consumer, starting
right after `last_event_id`, so a reconnect replays exactly what was missed. Permissions are
checked per event against the directory as it is now.
"""

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts import events as ev
from contracts import streams, subjects
from contracts.directory import AgentView, DirectoryChanged
from contracts.tickets import TicketView
from services.inbox.api.context import Inbox
from services.inbox.permissions import can_see
from services.runtime.metrics import ERRORS, OPEN_STREAMS

log = logging.getLogger("relaydesk.inbox")
# How a WebSocket ends when the agent goes away (Starlette raises RuntimeError on a send
# after the close); anything else ending a stream is a bug, logged with its traceback.
GONE: tuple[type[BaseException], ...] = (WebSocketDisconnect, RuntimeError, ConnectionError)
AUTH_TIMEOUT = 10.0
UNAUTHORIZED = 4401  # application close code: log in again


def frame_for(agent: AgentView, seq: int, event: ev.Event) -> dict[str, Any] | None:
    """What this agent is sent for this event, or None when it is not theirs to see."""
    if isinstance(event, DirectoryChanged):
        return {"id": str(seq), "type": event.type, "data": event.model_dump(mode="json")}
    visible = can_see(agent, event.ticket.department)
    if isinstance(event, ev.TicketMerged):
        return _merged(agent, seq, event, visible)
    if visible and isinstance(event, ALERTS) and not _alerted(agent, event.ticket):
        # Everyone else who sees the ticket only learns that it changed (its SLA marks).
        data = {"ticket": event.ticket.model_dump(mode="json"), "fields": ["sla"]}
        return {"id": str(seq), "type": "ticket.changed", "data": data}
    if not visible:
        if isinstance(event, ev.TicketTransferred) and can_see(agent, event.previous_department):
            return {
                "id": str(seq),
                "type": "ticket.removed",
                "data": {"ticket_id": event.ticket.id},
            }
        return None
    return {"id": str(seq), "type": event.type, "data": event.model_dump(mode="json")}


ALERTS = (ev.SlaWarning, ev.SlaBreached, ev.TicketEscalated)


def _alerted(agent: AgentView, ticket: TicketView) -> bool:
    """SLA warnings, breaches and escalations go to the department's supervisors (and
    admins) and to whoever holds the ticket."""
    return agent.role in ("supervisor", "admin") or ticket.assignee == agent.id


def _merged(
    agent: AgentView, seq: int, event: ev.TicketMerged, sees_source: bool
) -> dict[str, Any] | None:
    """A merge across departments: each side is shown only to whoever may see it; the other
    is named by its id alone, so the list can drop or refresh it."""
    sees_target = can_see(agent, event.into.department)
    if not (sees_source or sees_target):
        return None
    data = event.model_dump(mode="json")
    if not sees_source:
        data["ticket"] = {"id": event.ticket.id, "hidden": True}
    if not sees_target:
        data["into"] = {"id": event.into.id, "hidden": True}
    return {"id": str(seq), "type": event.type, "data": data}


async def _credentials(ws: WebSocket) -> tuple[str | None, str | None]:
    token = ws.query_params.get("token")
    last = ws.query_params.get("last_event_id")
    if token is None:
        first = await asyncio.wait_for(ws.receive_text(), AUTH_TIMEOUT)
        data = json.loads(first)
        if isinstance(data, dict):
            token = data.get("token") if isinstance(data.get("token"), str) else None
            last = str(data["last_event_id"]) if data.get("last_event_id") else last
    return token, last


async def serve(ws: WebSocket, ctx: Inbox, js: JetStreamContext) -> None:
    await ws.accept()
    try:
        token, last = await _credentials(ws)
    except (TimeoutError, ValueError, WebSocketDisconnect):
        await _close(ws, UNAUTHORIZED, 'send {"token": ...} first')
        return
    agent = await ctx.agent_for(token) if token else None
    if agent is None:
        await _close(ws, UNAUTHORIZED, "invalid or expired token")
        return
    info = await js.stream_info(streams.EVENTS.name)
    start = info.state.last_seq + 1
    reset = False
    if last and last.isdigit():
        start = int(last) + 1
        reset = start < info.state.first_seq and info.state.messages > 0
        start = max(start, info.state.first_seq)
    config = ConsumerConfig(opt_start_seq=start)
    sub = await js.subscribe(
        subjects.EVENTS_ALL,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        config=config,
    )
    await ctx.presence.opened(agent.id)
    OPEN_STREAMS.labels("inbox").inc()
    indicators: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)
    unlisten = ctx.typing.listen(agent.id, lambda frame: _offer(indicators, frame))
    try:
        await ws.send_json({"type": "hello", "agent": agent.id, "last_event_id": str(start - 1)})
        if reset:
            await ws.send_json({"type": "reset"})
        tasks = [
            asyncio.create_task(_forward(ws, ctx, agent.id, sub)),
            asyncio.create_task(_until_closed(ws)),
            asyncio.create_task(_indicate(ws, indicators)),
        ]
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, *GONE):  # the peer went away
                await task
    except GONE:
        pass
    except Exception:  # a bug: the agent reconnects and resumes, but it must be seen
        log.exception("stream of %s ended by an error", agent.id)
        ERRORS.labels("inbox", "stream").inc()
    finally:
        OPEN_STREAMS.labels("inbox").dec()
        unlisten()
        ctx.presence.closed(agent.id)
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


async def _forward(ws: WebSocket, ctx: Inbox, agent_id: str, sub: Any) -> None:
    async for msg in sub.messages:
        agent = ctx.directory.agent(agent_id)
        if agent is None or not agent.active:
            await _close(ws, UNAUTHORIZED, "your account was deactivated")
            return
        try:
            event = ev.parse_event(msg.data)
        except ValueError:
            log.warning("unreadable event at seq %s skipped", msg.metadata.sequence.stream)
            continue
        frame = frame_for(agent, msg.metadata.sequence.stream, event)
        if frame is not None:
            await ws.send_json(frame)


def _offer(queue: "asyncio.Queue[dict[str, Any]]", frame: dict[str, Any]) -> None:
    with contextlib.suppress(asyncio.QueueFull):  # a slow client misses indicators, not events
        queue.put_nowait(frame)


async def _indicate(ws: WebSocket, queue: "asyncio.Queue[dict[str, Any]]") -> None:
    """Typing indicators: sent by their own task, so a slow indicator never holds events."""
    while True:
        await ws.send_json(await queue.get())


async def _until_closed(ws: WebSocket) -> None:
    """Read (and ignore) client frames until it goes away; then stop the forwarding."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await ws.close(code=code, reason=reason)
