"""The webhook pipeline every channel shares, with a minimal fake channel and no broker."""

import logging
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from channels._adapter.inbound import InboundPublisher
from contracts.channels import Channel
from contracts.messages import InboundMessage
from tests.fakes.echo_channel import echo_webhook

HOOK = "/echo/site1/webhook"
KEY = {"x-echo-key": "k-site1"}


class Publisher(InboundPublisher):
    """Keeps what would go to JetStream; `down` makes every publish fail like NATS away."""

    def __init__(self) -> None:
        self.published: list[InboundMessage] = []
        self.kept: list[tuple[str, bytes, str]] = []
        self.down = False

    async def publish(self, message: InboundMessage) -> None:
        if self.down:
            raise TimeoutError("nats: timeout")
        self.published.append(message)

    async def keep(self, channel: Channel, account: str, body: bytes, reason: str) -> None:
        self.kept.append((account, body, reason))


@pytest.fixture
def publisher() -> Publisher:
    return Publisher()


@pytest.fixture
def client(publisher: Publisher) -> httpx.AsyncClient:
    app = Starlette(
        routes=[Route("/echo/{account}/webhook", echo_webhook(publisher), methods=["POST"])]
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def post(
    client: httpx.AsyncClient, body: Any, headers: dict[str, str] = KEY
) -> httpx.Response:
    if isinstance(body, bytes):
        return await client.post(HOOK, content=body, headers=headers)
    return await client.post(HOOK, json=body, headers=headers)


async def test_a_verified_update_is_published_then_answered_the_channels_way(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    reply = await post(client, {"id": 1, "chat": "c1", "text": "Привет 👋"})

    assert (reply.status_code, reply.text) == (200, "ok")
    assert [m.text for m in publisher.published] == ["Привет 👋"]


async def test_an_unverified_update_is_refused_and_not_published(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    reply = await post(client, {"id": 1, "chat": "c1", "text": "x"}, {"x-echo-key": "k-other"})

    assert reply.status_code == 401
    assert publisher.published == [] and publisher.kept == []


async def test_a_body_over_the_limit_is_413(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    reply = await post(client, {"id": 1, "chat": "c1", "text": "я" * 10_000})

    assert reply.status_code == 413 and publisher.published == []


async def test_a_body_that_is_not_json_is_kept_with_its_reason_and_answered_400(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    reply = await post(client, b"\xff not json")

    assert reply.status_code == 400
    [(account, body, reason)] = publisher.kept
    assert (account, body) == ("site1", b"\xff not json") and reason.startswith("not JSON")


async def test_a_malformed_update_is_kept_and_answered_so_the_next_ones_flow(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    reply = await post(client, {"id": 1, "chat": 5, "text": "x"})

    assert reply.status_code == 200
    assert publisher.published == []
    assert "chat is not a string" in publisher.kept[0][2]


async def test_a_normalizer_bug_is_logged_with_its_traceback_and_kept_not_skipped(
    client: httpx.AsyncClient, publisher: Publisher, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, "relaydesk.adapter"):
        reply = await post(client, {"id": 1, "boom": True})

    assert reply.status_code == 200
    assert "normalizer failed: ZeroDivisionError" in publisher.kept[0][2]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError


async def test_a_skipped_update_is_answered_without_publishing(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    reply = await post(client, {"id": 1, "chat": "c1"})

    assert reply.status_code == 200
    assert publisher.published == [] and publisher.kept == []


async def test_a_failed_publish_is_503_so_the_platform_sends_it_again(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    publisher.down = True

    reply = await post(client, {"id": 1, "chat": "c1", "text": "x"})

    assert reply.status_code == 503
