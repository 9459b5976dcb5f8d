"""Web chat signals beside messages, on real NATS with the store: typing both ways, and
delivered/read reports from the visitor's browser recorded on the agent's message."""

import asyncio
import json

import pytest
import websockets
from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.typing import Typing
from tests.integration.channels.webchat import (
    ORIGIN,
    Visitor,
    agent_reply,
    next_frame,
    ticket_of,
)

pytestmark = pytest.mark.integration


async def test_a_visitor_typing_is_announced_to_agents_once_per_two_seconds(
    chat: str, nc: Client
) -> None:
    heard: list[Typing] = []

    async def hear(msg: Msg) -> None:
        heard.append(Typing.model_validate_json(msg.data))

    sub = await nc.subscribe(subjects.TYPING_CUSTOMER, cb=hear)
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        visitor = await Visitor(ws).hello()
        for _ in range(5):
            await ws.send(json.dumps({"type": "typing"}))
        await asyncio.sleep(0.5)
    await sub.unsubscribe()

    assert len(heard) == 1
    assert heard[0].who == "customer" and heard[0].account == "shop"
    assert heard[0].thread_key == visitor.token.split(".")[0]


async def test_an_agent_typing_reaches_every_tab_of_that_visitor_only(
    chat: str, nc: Client
) -> None:
    async with (
        websockets.connect(chat, origin=ORIGIN) as tab1,  # type: ignore[arg-type]
        websockets.connect(chat, origin=ORIGIN) as tab2,  # type: ignore[arg-type]
        websockets.connect(chat, origin=ORIGIN) as stranger_ws,  # type: ignore[arg-type]
    ):
        visitor = await Visitor(tab1).hello()
        await Visitor(tab2).hello(token=visitor.token)
        await Visitor(stranger_ws).hello()
        typing = Typing(
            channel="webchat",
            account="shop",
            thread_key=visitor.token.split(".")[0],
            who="agent",
            agent_name="Анна",
        )

        await nc.publish(subjects.typing_agent("webchat"), typing.to_bytes())

        assert (await next_frame(tab1, "typing"))["type"] == "typing"
        assert (await next_frame(tab2, "typing"))["type"] == "typing"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(stranger_ws.recv(), 0.5)


async def test_a_reply_the_visitor_saw_is_recorded_as_read(chat: str, nc: Client) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        visitor = await Visitor(ws).hello()
        await visitor.say("q1", "Где мой заказ?")
        ticket = await ticket_of(nc, visitor.token)
        await agent_reply(nc, ticket.ticket.id, "Уже в пути 🚚")
        line = (await next_frame(ws, "line"))["line"]

        await ws.send(json.dumps({"type": "received", "ids": [line["id"]]}))
        await ws.send(json.dumps({"type": "seen", "ids": [line["id"], "not-a-line"]}))

    async with asyncio.timeout(10):
        while True:
            detail = await ticket_of(nc, visitor.token)
            reply = next(m for m in detail.messages if m.direction == "outbound")
            if reply.delivery_status == "read":
                break
            await asyncio.sleep(0.1)
    assert reply.external_id == line["id"]  # resolved by the platform id alone


async def test_a_visitor_cannot_report_on_another_visitors_reply(chat: str, nc: Client) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        alice = await Visitor(ws).hello()
        await alice.say("a1", "вопрос")
        ticket = await ticket_of(nc, alice.token)
        await agent_reply(nc, ticket.ticket.id, "ответ Алисе")
        line = (await next_frame(ws, "line"))["line"]
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        await Visitor(ws).hello()

        await ws.send(json.dumps({"type": "seen", "ids": [line["id"]]}))
        await asyncio.sleep(1.0)

    detail = await ticket_of(nc, alice.token)
    reply = next(m for m in detail.messages if m.direction == "outbound")
    assert reply.delivery_status == "sent"
