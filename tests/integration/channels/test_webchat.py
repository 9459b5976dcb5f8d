"""The web chat service on real NATS with the store: origins, visitor tokens, rate limits,
bad frames, and many visitors at once."""

import asyncio
import contextlib
import json
import time
from typing import Any

import pytest
import websockets
from nats.aio.client import Client

from contracts.presence import PRESENCE_BUCKET, AgentPresence
from services.runtime.kv import open_bucket
from tests.integration.channels.webchat import ORIGIN, Visitor, stored_texts, ticket_of

pytestmark = pytest.mark.integration


async def test_a_page_from_another_origin_is_refused(chat: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(chat, origin="https://evil.example"):  # type: ignore[arg-type]
            pass

    assert refused.value.response.status_code == 403


async def test_a_token_cannot_read_another_visitors_conversation(chat: str) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        alice = await Visitor(ws).hello()
        assert (await alice.say("a1", "секрет Алисы"))["type"] == "ack"
    visitor_id = alice.token.split(".")[0]

    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        forged = await Visitor(ws).hello(token=f"{visitor_id}.{'0' * 32}")
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        again = await Visitor(ws).hello(token=alice.token)

    assert forged.history == [] and forged.token != alice.token
    assert [line["text"] for line in again.history] == ["секрет Алисы"]


async def test_a_flood_is_slowed_down_without_touching_another_visitor(chat: str) -> None:
    async with (
        websockets.connect(chat, origin=ORIGIN) as flood_ws,  # type: ignore[arg-type]
        websockets.connect(chat, origin=ORIGIN) as calm_ws,  # type: ignore[arg-type]
    ):
        flood, calm = await Visitor(flood_ws).hello(), await Visitor(calm_ws).hello()
        for n in range(1000):
            await flood_ws.send(json.dumps({"type": "message", "id": f"f{n}", "text": f"спам {n}"}))
        answers = [await flood.answer() for _ in range(1000)]
        calm_answer = await calm.say("c1", "обычный вопрос")

    refused = [a for a in answers if a["type"] == "error"]
    assert len(refused) >= 950 and all(a["reason"] == "slow down" for a in refused)
    assert calm_answer["type"] == "ack"


async def test_bad_frames_get_an_error_and_the_connection_keeps_serving(chat: str) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        visitor = await Visitor(ws).hello()
        answers = []
        for bad in (
            "{not json",
            json.dumps([1, 2]),
            json.dumps({"type": "message", "text": "x" * 5000}),
        ):
            await ws.send(bad)
            answers.append(await visitor.answer())
        still = await visitor.say("ok1", "а теперь нормально")

    assert [a["type"] for a in answers] == ["error", "error", "error"]
    assert still["type"] == "ack"


# All 200 come from 127.0.0.1 here; on a site they are 200 addresses.
@pytest.mark.parametrize(
    "webchat_env",
    [{"RELAYDESK_WEBCHAT_IP_CONNECTIONS": "500", "RELAYDESK_WEBCHAT_IP_BURST": "2000"}],
)
async def test_200_visitors_sending_5_each_are_stored_once_in_order(chat: str, nc: Client) -> None:
    async def visitor(n: int) -> str:
        async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
            me = await Visitor(ws).hello()
            for k in range(5):
                assert (await me.say(f"v{n}-{k}", f"посетитель {n} сообщение {k}"))["type"] == "ack"
            return me.token.split(".")[0]

    visitors = await asyncio.gather(*(visitor(n) for n in range(200)))
    async with asyncio.timeout(60):
        while True:
            found = await stored_texts(nc)
            if sum(len(texts) for texts in found.values()) >= 1000:
                break
            await asyncio.sleep(0.5)

    assert len(found) == 200
    for n, visitor_id in enumerate(visitors):
        assert found[visitor_id] == [f"посетитель {n} сообщение {k}" for k in range(5)]


async def test_the_widget_learns_whether_an_agent_is_online(chat: str, nc: Client) -> None:
    async def hello() -> dict[str, Any]:
        async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
            await ws.send(json.dumps({}))
            frame: dict[str, Any] = json.loads(await ws.recv())
            return frame

    before = await hello()
    kv = await open_bucket(nc.jetstream(), PRESENCE_BUCKET, 60)
    await kv.put("anna", AgentPresence(status="online", at=time.time()).to_bytes())
    after = await hello()

    assert before["online"] is False
    assert after["online"] is True


@pytest.mark.parametrize("webchat_env", [{"RELAYDESK_WEBCHAT_IP_CONNECTIONS": "3"}])
async def test_one_address_keeps_only_so_many_connections_open(chat: str) -> None:
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(3):
            ws = await stack.enter_async_context(websockets.connect(chat, origin=ORIGIN))  # type: ignore[arg-type]
            await Visitor(ws).hello()
        async with websockets.connect(chat, origin=ORIGIN) as extra:  # type: ignore[arg-type]
            refused = json.loads(await extra.recv())
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await extra.recv()

    assert refused == {"type": "error", "reason": "too many connections"}
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429


@pytest.mark.parametrize(
    "webchat_env", [{"RELAYDESK_WEBCHAT_IP_RATE": "0.01", "RELAYDESK_WEBCHAT_IP_BURST": "4"}]
)
async def test_many_visitors_from_one_address_share_its_rate(chat: str) -> None:
    answers = []
    async with contextlib.AsyncExitStack() as stack:
        for n in range(3):
            ws = await stack.enter_async_context(websockets.connect(chat, origin=ORIGIN))  # type: ignore[arg-type]
            visitor = await Visitor(ws).hello()
            answers += [(await visitor.say(f"{n}-{k}", "привет"))["type"] for k in range(2)]

    assert answers == ["ack"] * 4 + ["error"] * 2


async def test_the_visitors_time_zone_reaches_their_contact(chat: str, nc: Client) -> None:
    async with websockets.connect(chat, origin=ORIGIN) as ws:  # type: ignore[arg-type]
        visitor = await Visitor(ws).hello(timezone="Asia/Vladivostok", language="ru")
        await visitor.say("tz-1", "Здравствуйте, я из Владивостока")

    detail = await ticket_of(nc, visitor.token)

    assert detail.contact is not None and detail.contact.timezone == "Asia/Vladivostok"
