"""The full loop on a real desk: a Telegram message becomes a ticket assigned to the agent who
is online, arrives on their stream, and their reply leaves as `outbound.telegram`; an agent of
another department sees none of it; a reconnect resumes without gaps."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from contracts import subjects
from contracts.messages import OutboundMessage
from contracts.presence import PRESENCE_BUCKET, AgentPresence
from contracts.typing import Typing
from tests.integration.inbox.conftest import Desk

pytestmark = pytest.mark.integration
Frame = dict[str, Any]


class Stream:
    def __init__(self, ws: websockets.ClientConnection, hello: Frame) -> None:
        self.ws = ws
        self.hello = hello
        self.frames: list[Frame] = []

    async def until(self, wanted: Callable[[Frame], bool], timeout: float = 15) -> Frame:
        for frame in self.frames:
            if wanted(frame):
                return frame
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                self.frames.append(frame)
                if wanted(frame):
                    return frame

    async def drain(self, seconds: float) -> list[Frame]:
        try:
            async with asyncio.timeout(seconds):
                while True:
                    self.frames.append(json.loads(await self.ws.recv()))
        except TimeoutError:
            return self.frames


@asynccontextmanager
async def stream(desk: Desk, agent: str, last: str | None = None) -> AsyncIterator[Stream]:
    url = desk.url.replace("http://", "ws://") + "/api/v1/stream"
    async with websockets.connect(url) as ws:
        first: Frame = {"token": await desk.login(agent)}
        if last is not None:
            first["last_event_id"] = last
        await ws.send(json.dumps(first))
        hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert hello["type"] == "hello"
        yield Stream(ws, hello)


def about(thread: str, kind: str) -> Callable[[Frame], bool]:
    def wanted(frame: Frame) -> bool:
        ticket = frame.get("data", {}).get("ticket", {})
        return frame["type"] == kind and ticket.get("thread_key") == thread

    return wanted


async def test_a_message_reaches_the_online_agent_and_their_reply_goes_out(desk: Desk) -> None:
    js = desk.nc.jetstream()
    outbound = await js.subscribe(
        subjects.outbound_replies("telegram"),
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW,
    )
    async with stream(desk, "anna") as anna, stream(desk, "tina") as tina:
        # No wait for the router to hear anna come online: a ticket that finds nobody
        # waits in the queue, and the router's sweep assigns it once she is seen.
        thread = await desk.customer_writes("Где моя оплата? 💸")

        assigned = await anna.until(about(thread, "ticket.assigned"))
        ticket = assigned["data"]["ticket"]
        reply = await desk.call(
            "anna", "POST", f"/api/v1/tickets/{ticket['id']}/messages", json={"text": "Нашли!"}
        )
        sent = OutboundMessage.model_validate_json((await outbound.next_msg(timeout=10)).data)
        await anna.until(lambda f: f["type"] == "message.created" and
                         f["data"]["message"]["direction"] == "outbound")  # fmt: skip
        seen_by_tina = await tina.drain(1.0)

    assert ticket["assignee"] == "anna" and ticket["department"] == "billing"
    assert reply.status_code == 201
    assert sent.thread_key == thread and sent.text == "Нашли!"
    assert [f for f in seen_by_tina if f["type"] != "directory.changed"] == []
    await outbound.unsubscribe()


async def test_an_open_stream_keeps_the_agent_online_and_closing_it_sets_offline(
    desk: Desk,
) -> None:
    kv = await desk.nc.jetstream().key_value(PRESENCE_BUCKET)

    async with stream(desk, "boris"):
        online = AgentPresence.model_validate_json((await kv.get("boris")).value or b"")
    offline = online
    async with asyncio.timeout(5):  # the grace period (0.3 s here) passes first
        while offline.status != "offline":
            await asyncio.sleep(0.05)
            offline = AgentPresence.model_validate_json((await kv.get("boris")).value or b"")

    assert online.status == "online"
    assert offline.status == "offline"


async def test_a_reconnect_with_the_last_event_id_replays_what_was_missed(desk: Desk) -> None:
    async with stream(desk, "tina") as before:
        last = before.hello["last_event_id"]
    thread = await desk.customer_writes("ошибка при входе")
    await desk.ticket_of("tina", thread)

    async with stream(desk, "tina", last=last) as after:
        # Routing brings a new conversation into the department: `ticket.transferred`.
        created = await after.until(about(thread, "ticket.transferred"))
        ids = [int(f["id"]) for f in after.frames]

    assert int(created["id"]) > int(last)
    assert ids == sorted(ids) and len(ids) == len(set(ids))


async def test_a_stream_without_a_valid_token_is_closed(desk: Desk) -> None:
    url = desk.url.replace("http://", "ws://") + "/api/v1/stream?token=forged"

    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_a_customer_typing_shows_on_the_streams_of_that_department_only(
    desk: Desk,
) -> None:
    thread = await desk.customer_writes("Секунду, оплата не проходит, пишу подробности…")
    ticket = await desk.ticket_of("root", thread)
    typing = Typing(channel="telegram", account="bot1", thread_key=thread, who="customer")
    async with stream(desk, "anna") as anna, stream(desk, "tina") as tina:
        await desk.nc.publish(subjects.TYPING_CUSTOMER, typing.to_bytes())

        shown = await anna.until(lambda f: f["type"] == "ticket.typing")
        elsewhere = await tina.drain(1.0)

    assert shown["data"] == {"ticket_id": ticket["id"], "who": "customer"} and "id" not in shown
    assert not any(f["type"] == "ticket.typing" for f in elsewhere)


async def test_an_agent_typing_goes_to_the_tickets_channel(desk: Desk) -> None:
    thread = await desk.customer_writes("Жду ответа: оплата")
    ticket = await desk.ticket_of("root", thread)
    heard: asyncio.Queue[Typing] = asyncio.Queue()

    async def hear(msg: Msg) -> None:
        heard.put_nowait(Typing.model_validate_json(msg.data))

    sub = await desk.nc.subscribe(subjects.typing_agent("telegram"), cb=hear)
    reply = await desk.call("anna", "POST", f"/api/v1/tickets/{ticket['id']}/typing")
    typing = await asyncio.wait_for(heard.get(), 5)
    await sub.unsubscribe()

    assert reply.status_code == 204
    assert (typing.thread_key, typing.who, typing.agent_name) == (thread, "agent", "Анна")
