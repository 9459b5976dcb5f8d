"""A web chat service on real NATS with the store, and a visitor speaking its protocol."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from nats.aio.client import Client

from contracts import commands as c
from contracts import queries as q
from contracts import subjects
from services.runtime.nats_server import NatsServer
from tests.integration.processes import ServiceProcess

ORIGIN = "https://shop.example"
SITES = [{"account": "shop", "origins": [ORIGIN]}]


@pytest.fixture
def webchat_env() -> dict[str, str]:
    """Extra settings of the web chat service; a test parametrizes it to tighten a limit."""
    return {}


@pytest.fixture
def chat(
    nats_server: NatsServer, nc: Client, data_dir: Path, webchat_env: dict[str, str]
) -> Iterator[str]:
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    env = {"RELAYDESK_WEBCHAT_SITES": json.dumps(SITES), **webchat_env}
    webchat = ServiceProcess("webchat", nats_server.url, data_dir, **env).start()
    assert webchat.url
    yield webchat.url.replace("http://", "ws://") + "/webchat/shop/ws"
    webchat.stop()
    store.stop()


class Visitor:
    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.token = ""
        self.history: list[dict[str, Any]] = []

    async def hello(self, **first: Any) -> "Visitor":
        await self.ws.send(json.dumps(first))
        hello = json.loads(await self.ws.recv())
        self.token = hello["token"]
        self.history = json.loads(await self.ws.recv())["lines"]
        return self

    async def say(self, message_id: str, text: str) -> dict[str, Any]:
        await self.ws.send(json.dumps({"type": "message", "id": message_id, "text": text}))
        return await self.answer()

    async def answer(self) -> dict[str, Any]:
        while True:
            frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            if frame["type"] in ("ack", "error"):
                return frame


async def stored_texts(nc: Client) -> dict[str, list[str]]:
    """Message texts per visitor (thread), in stored order."""
    page = q.TicketPage.model_validate_json(
        (await nc.request(subjects.query("list"), q.ListTickets(limit=500).to_bytes(), 5)).data
    )
    found = {}
    for ticket in page.items:
        reply = await nc.request(
            subjects.query("get"), q.GetTicket(ticket_id=ticket.id).to_bytes(), 5
        )
        detail = q.TicketDetail.model_validate_json(reply.data)
        found[ticket.thread_key] = [m.text for m in detail.messages]
    return found


async def ticket_of(nc: Client, visitor_token: str) -> q.TicketDetail:
    """The visitor's ticket, once the store has it."""
    thread = f"webchat:shop:{visitor_token.split('.')[0]}"
    async with asyncio.timeout(10):
        while True:
            reply = await nc.request(
                subjects.query("list"), q.ListTickets(thread=thread).to_bytes(), 5
            )
            page = q.TicketPage.model_validate_json(reply.data)
            if page.items:
                found = await nc.request(
                    subjects.query("get"), q.GetTicket(ticket_id=page.items[0].id).to_bytes(), 5
                )
                return q.TicketDetail.model_validate_json(found.data)
            await asyncio.sleep(0.1)


async def agent_reply(nc: Client, ticket_id: str, text: str, **extra: Any) -> None:
    command = c.AddReply(actor="agent-1", ticket_id=ticket_id, text=text, **extra)
    answer = c.COMMAND_REPLY.validate_json(
        (await nc.request(subjects.command("reply"), command.to_bytes(), 5)).data
    )
    assert answer.ok, answer


async def next_frame(ws: websockets.ClientConnection, kind: str) -> dict[str, Any]:
    """The next frame of type `kind`, skipping others."""
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame["type"] == kind:
            return frame
