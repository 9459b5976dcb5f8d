"""The customers' portal in Chromium on a real desk: a customer asks for a link, opens it from
the mail, sees their tickets from two channels, answers one, and the desk has the answer on
that ticket; a used or expired link is refused, and another customer's ticket is not there."""

import asyncio
import email
import email.policy
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client
from playwright.async_api import Browser, Page

from contracts import queries as q
from contracts import streams, subjects
from contracts.messages import InboundMessage, Sender
from contracts.tickets import TicketView
from services.portal import links
from services.runtime.broker import ensure_streams
from services.runtime.nats_server import NatsServer
from services.runtime.store_client import StoreClient
from tests.e2e.conftest import ARTIFACTS
from tests.fullstack import free_port
from tests.integration.processes import ServiceProcess

pytestmark = pytest.mark.e2e
SECRET = "portal-test-secret-" + "x" * 24
MARIA = "maria@example.ru"


@pytest.fixture(scope="module")
def portal_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    root = tmp_path_factory.mktemp("portal")
    server = NatsServer(root / "nats", port=0).start()
    env = {"RELAYDESK_PORTAL_SECRET": SECRET, "RELAYDESK_ROUTER_SWEEP_INTERVAL": "0.5"}
    running = [ServiceProcess(n, server.url, root / "var", **env) for n in ("store", "router")]
    try:
        for process in running:
            process.start()
        port = free_port()  # known before the start: the mailed links carry the address
        portal = ServiceProcess(
            "portal",
            server.url,
            root / "var",
            RELAYDESK_PORTAL_PORT=str(port),
            RELAYDESK_PORTAL_URL=f"http://127.0.0.1:{port}",
            **env,
        )
        running.append(portal)
        portal.start()
        assert portal.url
        yield server.url, portal.url, root / "var" / "mail" / "portal"
    finally:
        for process in reversed(running):
            process.stop()
        server.stop()


@pytest.fixture(scope="module")
async def nc(portal_desk: tuple[str, str, Path]) -> AsyncIterator[Client]:
    client = await nats.connect(portal_desk[0])
    await ensure_streams(client.jetstream())
    yield client
    await client.close()


async def customer_writes(nc: Client, message: InboundMessage) -> None:
    await nc.jetstream().publish(
        subjects.inbound(message.channel),
        message.to_bytes(),
        headers={streams.MSG_ID: message.dedupe_key},
    )


async def stored_tickets(nc: Client, count: int) -> list[TicketView]:
    for _ in range(100):
        page = await StoreClient(nc).page(q.ListTickets(limit=50))
        if len(page.items) >= count:
            return list(page.items)
        await asyncio.sleep(0.1)
    raise AssertionError("the tickets were not stored")


@pytest.fixture(scope="module")
async def tickets(nc: Client) -> dict[str, str]:
    """Maria's mail and web chat conversations, and Ivan's Telegram one: ticket ids."""
    await customer_writes(nc, InboundMessage(
        channel="email", account="support", thread_key="<m1@mail>", external_id="<m1@mail>",
        sender=Sender(channel_user_id=MARIA, display_name="Мария"), subject="Счёт за март",
        text="Пришлите, пожалуйста, счёт за март",
    ))  # fmt: skip
    await customer_writes(nc, InboundMessage(
        channel="webchat", account="shop", thread_key="visitor-7", external_id="w-7",
        sender=Sender(channel_user_id="visitor-7", email=MARIA), text="Где мой заказ 5512?",
    ))  # fmt: skip
    await customer_writes(nc, InboundMessage(
        channel="telegram", account="bot1", thread_key="chat-9", external_id="t-9",
        sender=Sender(channel_user_id="9", display_name="Иван"), text="Чужой вопрос Ивана",
    ))  # fmt: skip
    found = await stored_tickets(nc, 3)
    return {t.channel: t.id for t in found}


def newest_link(outbox: Path, after: float) -> str:
    for _ in range(100):
        mails = sorted(
            (p for p in outbox.glob("*.eml") if p.stat().st_mtime >= after),
            key=lambda p: p.stat().st_mtime,
        )
        if mails:
            mail = email.message_from_bytes(mails[-1].read_bytes(), policy=email.policy.default)
            body = mail.get_body(("plain",))
            assert body is not None and mail["To"] == MARIA
            found = re.search(r"https?://\S+#link=\S+", body.get_content())
            assert found, body.get_content()
            return found.group(0)
        time.sleep(0.1)
    raise AssertionError("no sign-in mail")


async def ask_for_link(page: Page, portal: str) -> None:
    await page.goto(portal + "/portal/")
    await page.fill("input[name=email]", MARIA.upper())
    await page.click("button[type=submit]")
    await page.locator("p[role=status]", has_text="ссылка для входа уже в почте").wait_for()


async def test_a_customer_signs_in_by_mail_sees_both_channels_and_answers(
    browser: Browser, portal_desk: tuple[str, str, Path], nc: Client, tickets: dict[str, str]
) -> None:
    _, portal, outbox = portal_desk
    context = await browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    page = await context.new_page()
    started = time.time() - 1

    await ask_for_link(page, portal)
    link = newest_link(outbox, started)
    await page.goto(link)
    await page.locator("ul.tickets button").nth(1).wait_for()
    listed = await page.locator("ul.tickets").inner_text()
    await page.screenshot(path=str(ARTIFACTS / "portal-list.png"))
    await page.click(f"button[data-ticket='{tickets['webchat']}']")
    await page.fill("textarea[name=reply]", "Спасибо, жду курьера 🚚")
    await page.click("form button[type=submit]")
    await page.locator(".message[data-from=customer]", has_text="жду курьера").wait_for()
    await page.screenshot(path=str(ARTIFACTS / "portal-ticket.png"))
    address = page.url
    stranger = await page.request.get(f"{portal}/portal/api/tickets/{tickets['telegram']}")
    await context.close()

    detail = await StoreClient(nc).ticket(tickets["webchat"], None)
    assert "Счёт за март" in listed and "Где мой заказ 5512" in listed
    assert "Чужой вопрос" not in listed
    assert [m.text for m in detail.messages if m.direction == "inbound"][
        -1
    ] == "Спасибо, жду курьера 🚚"
    assert detail.messages[-1].direction == "inbound" and detail.ticket.channel == "webchat"
    assert "#link=" not in address  # the token left the address bar
    assert stranger.status == 404


async def test_a_used_link_is_refused(
    browser: Browser, portal_desk: tuple[str, str, Path], tickets: dict[str, str]
) -> None:
    _, portal, outbox = portal_desk
    context = await browser.new_context(locale="ru-RU")
    page = await context.new_page()
    started = time.time() - 1
    await ask_for_link(page, portal)
    link = newest_link(outbox, started)
    await page.goto(link)
    await page.locator("ul.tickets").wait_for()
    other = await browser.new_context(locale="ru-RU")
    again = await other.new_page()

    await again.goto(link)
    refused = await again.locator("p.error").inner_text()
    await context.close()
    await other.close()

    assert "Ссылка не подходит" in refused and "used already" in refused


async def test_an_expired_link_is_refused(
    browser: Browser, portal_desk: tuple[str, str, Path], tickets: dict[str, str]
) -> None:
    _, portal, _ = portal_desk
    old = links.issue(SECRET.encode(), "link", MARIA, time.time() - 3600, 1800)
    context = await browser.new_context(locale="ru-RU")
    page = await context.new_page()

    await page.goto(f"{portal}/portal/#link={old}")
    refused = await page.locator("p.error").inner_text()
    await context.close()

    assert "Ссылка не подходит" in refused and "expired" in refused


async def test_an_unknown_address_gets_the_same_answer_and_no_mail_and_asking_is_throttled(
    portal_desk: tuple[str, str, Path], tickets: dict[str, str]
) -> None:
    _, portal, outbox = portal_desk
    before = set(outbox.glob("*.eml"))

    async with httpx.AsyncClient(base_url=portal) as client:
        answers = [
            (await client.post("/portal/api/link", json={"email": "nobody@example.ru"})).status_code
            for _ in range(4)
        ]
        listed = await client.get("/portal/api/tickets")

    assert answers == [202, 202, 202, 429]
    assert set(outbox.glob("*.eml")) == before
    assert listed.status_code == 401
