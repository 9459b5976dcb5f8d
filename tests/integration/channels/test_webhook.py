"""The shared webhook pipeline on a real nats-server, with the minimal fake channel: what the
platform is told matches what JetStream holds."""

import httpx
import pytest
from nats.js import JetStreamContext
from starlette.applications import Starlette
from starlette.routing import Route

from channels._adapter.inbound import InboundPublisher
from contracts import streams
from contracts.messages import InboundMessage
from tests.fakes.echo_channel import echo_webhook

pytestmark = pytest.mark.integration
KEY = {"x-echo-key": "k-site1"}


def client_for(js: JetStreamContext) -> httpx.AsyncClient:
    hook = echo_webhook(InboundPublisher(js, timeout=1.0))
    app = Starlette(routes=[Route("/echo/{account}/webhook", hook, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_an_update_answered_ok_is_in_jetstream_once_however_often_sent(
    js: JetStreamContext,
) -> None:
    update = {"id": 7, "chat": "c1", "text": "Здравствуйте"}
    async with client_for(js) as client:
        answers = [(await client.post("/echo/site1/webhook", json=update, headers=KEY)).text]
        answers.append((await client.post("/echo/site1/webhook", json=update, headers=KEY)).text)

    sub = await js.pull_subscribe("inbound.webchat", stream="INBOUND")
    [msg] = await sub.fetch(1, timeout=2)
    assert answers == ["ok", "ok"]
    assert (await js.stream_info("INBOUND")).state.messages == 1
    assert InboundMessage.model_validate_json(msg.data).text == "Здравствуйте"
    assert msg.headers and msg.headers[streams.MSG_ID] == "webchat:site1:7"


async def test_an_unreadable_body_is_in_the_dead_letter_stream_with_its_reason(
    js: JetStreamContext,
) -> None:
    async with client_for(js) as client:
        reply = await client.post(
            "/echo/site1/webhook", json={"id": 1, "chat": 5, "text": "x"}, headers=KEY
        )

    sub = await js.pull_subscribe("deadletter.inbound.webchat", stream="DEADLETTER")
    [kept] = await sub.fetch(1, timeout=2)
    assert reply.status_code == 200
    assert kept.headers and "chat is not a string" in kept.headers[streams.DEAD_REASON]
    assert kept.headers[streams.DEAD_SUBJECT] == "webchat:site1"


async def test_without_the_stream_the_platform_is_told_to_retry(js: JetStreamContext) -> None:
    await js.delete_stream("INBOUND")
    async with client_for(js) as client:
        reply = await client.post(
            "/echo/site1/webhook", json={"id": 1, "chat": "c", "text": "x"}, headers=KEY
        )

    assert reply.status_code == 503
