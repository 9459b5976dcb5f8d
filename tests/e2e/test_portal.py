"""The customers' portal in Chromium on a real desk: a customer asks for a link, opens it from
the mail, sees their tickets from two channels, answers one, and the desk has the answer on
that ticket; a used or expired link is refused, and another customer's ticket is not there.
Files go both ways; notices land in the test mailbox (aiosmtpd) once per event, each with a
stop link that works; an agent's link signs in a customer known only on Telegram."""

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client
from playwright.async_api import Browser, BrowserContext, Page

from contracts import commands as c
from contracts import queries as q
from contracts import streams, subjects
from contracts.messages import InboundMessage, Sender
from contracts.tickets import TicketView
from services.portal import links
from services.portal.context import COOKIE
from services.portal.notices import Prefs
from services.portal.prefs import Preferences
from services.runtime.broker import ensure_streams
from services.runtime.files import FileStore
from services.runtime.nats_server import NatsServer
from services.runtime.store_client import StoreClient
from tests.e2e.conftest import ARTIFACTS
from tests.fullstack import free_port
from tests.integration.channels.mailservers import Inbox, mail_server
from tests.integration.processes import ServiceProcess

pytestmark = pytest.mark.e2e
SECRET = "portal-test-secret-" + "x" * 24
MARIA = "maria@example.ru"
PNG = b"\x89PNG\r\n\x1a\n-receipt-"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Inbox, int]]:
    """Where the portal's mail goes: a real SMTP server on loopback, keeping every mail."""
    with mail_server() as running:
        yield running


@pytest.fixture(scope="module")
def portal_desk(
    tmp_path_factory: pytest.TempPathFactory, mailbox: tuple[Inbox, int]
) -> Iterator[tuple[str, str, Path]]:
    root = tmp_path_factory.mktemp("portal")
    server = NatsServer(root / "nats", port=0).start()
    env = {"RELAYDESK_PORTAL_SECRET": SECRET, "RELAYDESK_ROUTER_SWEEP_INTERVAL": "0.5"}
    # The weekly summary is due from 00:00 UTC today, looked for twice a second.
    summary = {
        "RELAYDESK_PORTAL_SMTP_HOST": "127.0.0.1",
        "RELAYDESK_PORTAL_SMTP_PORT": str(mailbox[1]),
        "RELAYDESK_PORTAL_SUMMARY_WEEKDAY": str(datetime.now(UTC).weekday()),
        "RELAYDESK_PORTAL_SUMMARY_HOUR": "0",
        "RELAYDESK_PORTAL_SUMMARY_CHECK_SECONDS": "0.5",
    }
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
            **summary,
        )
        running.append(portal)
        portal.start()
        assert portal.url
        yield server.url, portal.url, root / "var"
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


def mails_to(mailbox: Inbox, to: str, subject: str, after: int = 0) -> list[EmailMessage]:
    return [m for m in mailbox.mails[after:] if m["To"] == to and subject in str(m["Subject"])]


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def arrived(
    mailbox: Inbox, to: str, subject: str, after: int = 0, count: int = 1
) -> list[EmailMessage]:
    """The mails with `subject` to `to` since mail number `after`, once `count` are there."""
    for _ in range(150):
        found = mails_to(mailbox, to, subject, after)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail {subject!r} to {to}: {[m['Subject'] for m in mailbox.mails]}")


async def newest_link(mailbox: Inbox, after: int) -> str:
    mail = (await arrived(mailbox, MARIA, "Ваши обращения", after))[-1]
    found = re.search(r"https?://\S+#link=\S+", text_of(mail))
    assert found, text_of(mail)
    return found.group(0)


async def ask_for_link(page: Page, portal: str) -> None:
    await page.goto(portal + "/portal/")
    await page.fill("input[name=email]", MARIA.upper())
    await page.click("button[type=submit]")
    await page.locator("p[role=status]", has_text="ссылка для входа уже в почте").wait_for()


async def test_a_customer_signs_in_by_mail_sees_both_channels_and_answers(
    browser: Browser,
    portal_desk: tuple[str, str, Path],
    mailbox: tuple[Inbox, int],
    nc: Client,
    tickets: dict[str, str],
) -> None:
    portal = portal_desk[1]
    context = await browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    page = await context.new_page()
    started = len(mailbox[0].mails)

    await ask_for_link(page, portal)
    link = await newest_link(mailbox[0], started)
    await page.goto(link)
    await page.locator("ul.tickets button").nth(1).wait_for()
    listed = await page.locator("ul.tickets").inner_text()
    choices = await page.locator("form.notices input[type=checkbox]").count()
    await page.screenshot(path=str(ARTIFACTS / "portal-list.png"), full_page=True)
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
    assert choices == 3  # the notice choices, though the page's preloads predate the session
    assert [m.text for m in detail.messages if m.direction == "inbound"][
        -1
    ] == "Спасибо, жду курьера 🚚"
    assert detail.messages[-1].direction == "inbound" and detail.ticket.channel == "webchat"
    assert "#link=" not in address  # the token left the address bar
    assert stranger.status == 404


async def test_a_used_link_is_refused(
    browser: Browser,
    portal_desk: tuple[str, str, Path],
    mailbox: tuple[Inbox, int],
    tickets: dict[str, str],
) -> None:
    portal = portal_desk[1]
    context = await browser.new_context(locale="ru-RU")
    page = await context.new_page()
    started = len(mailbox[0].mails)
    await ask_for_link(page, portal)
    link = await newest_link(mailbox[0], started)
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
    portal_desk: tuple[str, str, Path], mailbox: tuple[Inbox, int], tickets: dict[str, str]
) -> None:
    portal = portal_desk[1]
    before = len(mailbox[0].mails)

    async with httpx.AsyncClient(base_url=portal) as client:
        answers = [
            (await client.post("/portal/api/link", json={"email": "nobody@example.ru"})).status_code
            for _ in range(4)
        ]
        listed = await client.get("/portal/api/tickets")

    assert answers == [202, 202, 202, 429]
    await asyncio.sleep(0.5)
    assert mails_to(mailbox[0], "nobody@example.ru", "", before) == []
    assert listed.status_code == 401


async def signed_in(browser: Browser, portal: str) -> tuple[BrowserContext, Page]:
    """Maria in the portal, by a session made with the desk's key: mailed links are tested
    above, and asking for more would hit the per-address throttle."""
    context = await browser.new_context(locale="ru-RU")
    session = links.issue(SECRET.encode(), "session", MARIA, time.time(), 3600)
    await context.add_cookies([{"name": COOKIE, "value": session, "url": f"{portal}/portal/"}])
    page = await context.new_page()
    await page.goto(f"{portal}/portal/")
    await page.locator("ul.tickets").wait_for()
    return context, page


async def agent(nc: Client, command: c.Command) -> None:
    await StoreClient(nc).command(command)


async def test_notices_chosen_in_the_portal_arrive_once_each_and_stop_with_one_click(
    browser: Browser,
    portal_desk: tuple[str, str, Path],
    mailbox: tuple[Inbox, int],
    nc: Client,
    tickets: dict[str, str],
) -> None:
    portal, box = portal_desk[1], mailbox[0]
    context, page = await signed_in(browser, portal)
    for name in ("replies", "resolved"):
        await page.check(f"form.notices input[name={name}]")
    await page.click("form.notices button[type=submit]")
    await page.locator("form.notices p[role=status]", has_text="Сохранено").wait_for()
    before = len(box.mails)

    await agent(
        nc, c.AddReply(actor="agent-olga", ticket_id=tickets["webchat"], text="Курьер везёт 🚚")
    )
    await agent(
        nc, c.AddReply(actor="agent-olga", ticket_id=tickets["email"], text="Счёт во вложении")
    )
    await agent(nc, c.AddReply(actor="bot", ticket_id=tickets["webchat"], text="Оцените ответ"))
    await agent(
        nc, c.SetStatus(actor="agent-olga", ticket_id=tickets["webchat"], status="resolved")
    )
    replies = await arrived(box, MARIA, "Ответ по обращению", before)
    resolved = await arrived(box, MARIA, "Обращение решено", before)
    await asyncio.sleep(1.5)  # time enough for a second copy, or a notice of the mail reply
    stop = re.search(r"https?://\S+#unsubscribe=\S+", text_of(replies[0]))
    assert stop
    await page.goto(stop.group(0))
    stopped = await page.locator("p[role=status]", has_text="Готово").inner_text()
    chosen = await (await page.request.get(f"{portal}/portal/api/notifications")).json()
    await agent(
        nc, c.AddReply(actor="agent-olga", ticket_id=tickets["webchat"], text="Ещё вопрос?")
    )
    await asyncio.sleep(1.5)
    await context.close()

    assert len(mails_to(box, MARIA, "Ответ по обращению", before)) == 1
    assert len(mails_to(box, MARIA, "Обращение решено", before)) == 1
    assert "Курьер везёт 🚚" in text_of(replies[0]) and "Оцените" not in text_of(replies[0])
    assert replies[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    wire = box.raw[box.mails.index(replies[0])]
    assert re.search(rb"\r\nList-Unsubscribe: <http://127\.0\.0\.1:\d+/portal/api/unsub", wire)
    assert "ответы поддержки" in stopped and MARIA in stopped
    assert chosen == {"email": MARIA, "replies": False, "resolved": True, "weekly": False}
    assert len(resolved) == 1


async def test_a_mail_clients_one_click_unsubscribe_stops_that_notice(
    portal_desk: tuple[str, str, Path], nc: Client, tickets: dict[str, str]
) -> None:
    portal = portal_desk[1]
    prefs = await Preferences.open(nc.jetstream())
    await prefs.put(Prefs(email="pavel@example.ru", resolved=True, weekly=True))
    token = links.issue(
        SECRET.encode(), "unsubscribe", "pavel@example.ru", time.time(), 600, "resolved"
    )

    async with httpx.AsyncClient(base_url=portal) as client:
        answer = await client.post(
            f"/portal/api/unsubscribe?token={token}", content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        forged = await client.post(f"/portal/api/unsubscribe?token={token[:-2]}00")

    chosen = await prefs.get("pavel@example.ru")
    assert answer.status_code == 200 and forged.status_code == 410
    assert (chosen.resolved, chosen.weekly) == (False, True)


async def test_the_weekly_summary_of_open_tickets_goes_once_to_those_who_chose_it(
    portal_desk: tuple[str, str, Path],
    mailbox: tuple[Inbox, int],
    nc: Client,
    tickets: dict[str, str],
) -> None:
    box = mailbox[0]
    before = len(box.mails)
    prefs = await Preferences.open(nc.jetstream())
    last_week = datetime.now(UTC) - timedelta(days=7)
    await prefs.put(Prefs(email=MARIA, weekly=True, weekly_since=last_week))
    await prefs.put(Prefs(email="ivan@example.ru", weekly=False))

    summaries = await arrived(box, MARIA, "Ваши открытые обращения", before)
    await asyncio.sleep(2)  # four more rounds of the portal's check

    assert len(mails_to(box, MARIA, "Ваши открытые обращения", before)) == 1
    assert "Счёт за март" in text_of(summaries[0])
    assert mails_to(box, "ivan@example.ru", "", before) == []


async def test_files_go_both_ways_and_only_the_tickets_own_files_are_served(
    browser: Browser,
    portal_desk: tuple[str, str, Path],
    mailbox: tuple[Inbox, int],
    nc: Client,
    tickets: dict[str, str],
    tmp_path: Path,
) -> None:
    portal, data_dir = portal_desk[1], portal_desk[2]
    invoice = FileStore.under(data_dir, 10).save(
        "%PDF-1.4 счёт".encode(), "счёт.pdf", "application/pdf"
    )
    stranger = FileStore.under(data_dir, 10).save(b"secret", "other.txt", "text/plain")
    reply = c.AddReply(
        actor="agent-olga",
        ticket_id=tickets["email"],
        text="Счёт во вложении",
        attachments=[invoice],
    )
    await agent(nc, reply)
    photo = tmp_path / "чек.png"
    photo.write_bytes(PNG)
    context, page = await signed_in(browser, portal)

    await page.click(f"button[data-ticket='{tickets['email']}']")
    link = page.locator("a[download='счёт.pdf']")
    await link.wait_for()
    async with page.expect_download() as download:
        await link.click()
    saved = await (await download.value).path()
    downloaded = await asyncio.to_thread(Path(saved).read_bytes)
    await page.set_input_files("input[name=files]", str(photo))
    await page.click("form button[type=submit]")
    await page.locator(".message[data-from=customer] a[download='чек.png']").wait_for()
    other = stranger.ref.removeprefix("file:")  # type: ignore[union-attr]
    not_ours = await page.request.get(
        f"{portal}/portal/api/tickets/{tickets['email']}/files/{other}"
    )
    forged = await page.request.post(
        f"{portal}/portal/api/tickets/{tickets['email']}/messages",
        data={"text": "", "attachments": [{**stranger.model_dump(), "receipt": "0" * 64}]},
    )
    await context.close()

    detail = await StoreClient(nc).ticket(tickets["email"], None)
    sent = [a for m in detail.messages if m.direction == "inbound" for a in m.attachments]
    assert downloaded == "%PDF-1.4 счёт".encode()
    assert [(a.name, a.content_type, a.size) for a in sent] == [("чек.png", "image/png", len(PNG))]
    assert not_ours.status == 404 and forged.status == 422


async def test_an_agents_link_signs_in_a_customer_known_only_on_telegram(
    browser: Browser, portal_desk: tuple[str, str, Path], nc: Client, tickets: dict[str, str]
) -> None:
    asked = await nc.request(
        subjects.PORTAL_LINK, f'{{"ticket_id": "{tickets["telegram"]}"}}'.encode(), timeout=5
    )
    url = json.loads(asked.data)["url"]
    context = await browser.new_context(locale="ru-RU")
    page = await context.new_page()

    await page.goto(url)
    await page.locator("ul.tickets button").first.wait_for()
    listed = await page.locator("ul.tickets").inner_text()
    maria = await page.request.get(f"{page.url.split('#')[0]}api/tickets/{tickets['webchat']}")
    notices_card = await page.locator("form.notices").count()
    await page.click(f"button[data-ticket='{tickets['telegram']}']")
    await page.fill("textarea[name=reply]", "Спасибо, вопрос снят")
    await page.click("form button[type=submit]")
    await page.locator(".message[data-from=customer]", has_text="вопрос снят").wait_for()
    await context.close()

    assert "Чужой вопрос Ивана" in listed and "Где мой заказ" not in listed
    assert maria.status == 404 and notices_card == 0


async def test_a_messenger_customer_an_agent_gave_an_address_signs_in_by_mail_to_that_chat(
    portal_desk: tuple[str, str, Path],
    mailbox: tuple[Inbox, int],
    nc: Client,
    tickets: dict[str, str],
) -> None:
    portal, box = portal_desk[1], mailbox[0]
    ivan = (await StoreClient(nc).ticket(tickets["telegram"], None, messages=False)).contact
    assert ivan is not None
    await agent(
        nc, c.UpdateContact(actor="agent-olga", contact_id=ivan.id, email="Ivan@Example.ru")
    )
    before = len(box.mails)

    async with httpx.AsyncClient(base_url=portal) as client:
        asked = await client.post("/portal/api/link", json={"email": "ivan@example.ru"})
        mail = (await arrived(box, "ivan@example.ru", "Ваши обращения", before))[-1]
        token = re.search(r"#link=(\S+)", text_of(mail))
        assert token
        await client.post("/portal/api/session", json={"token": token.group(1)})
        listed = (await client.get("/portal/api/tickets")).json()

    assert asked.status_code == 202
    assert [t["channel"] for t in listed["items"]] == ["telegram"]


async def test_a_notice_the_mail_server_refused_is_sent_once_when_it_is_back(
    portal_desk: tuple[str, str, Path],
    mailbox: tuple[Inbox, int],
    nc: Client,
    tickets: dict[str, str],
) -> None:
    box = mailbox[0]
    prefs = await Preferences.open(nc.jetstream())
    await prefs.put(Prefs(email=MARIA, replies=True))
    before = len(box.mails)
    failed_before = await notice_failures(portal_desk[1])
    box.refuse = "451 4.3.0 try again later"

    await agent(nc, c.AddReply(actor="agent-olga", ticket_id=tickets["webchat"], text="Повтор 🔁"))
    await asyncio.sleep(1.5)  # the first attempt and the retry after 0.5 s are refused
    refused = mails_to(box, MARIA, "Ответ по обращению", before)
    failed = await notice_failures(portal_desk[1]) - failed_before
    box.refuse = None
    sent = await arrived(box, MARIA, "Ответ по обращению", before)
    await asyncio.sleep(2.5)  # time enough for a second copy

    assert refused == [] and failed >= 2
    assert len(mails_to(box, MARIA, "Ответ по обращению", before)) == 1
    assert "Повтор 🔁" in text_of(sent[0])


async def notice_failures(portal: str) -> float:
    """The portal's count of notice mails the server refused (its /metrics)."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{portal}/metrics")).text
    found = re.search(r'relaydesk_errors_total\{kind="notice_mail",service="portal"\} (\S+)', text)
    assert found, "no notice_mail series"
    return float(found.group(1))
