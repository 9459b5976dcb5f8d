"""The web chat widget in a real browser against the webchat service and the store: the
visitor writes, an agent's reply arrives live, notes never show, a reload keeps the history."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client
from playwright.async_api import Browser

from contracts import commands as c
from contracts import directory as d
from contracts import queries as q
from contracts import subjects
from contracts.typing import Typing
from services.runtime.nats_server import NatsServer
from tests.e2e.conftest import ARTIFACTS
from tests.integration.processes import ServiceProcess

pytestmark = pytest.mark.e2e


SITES = [{"account": "demo", "prechat": True, "departments": [{"id": "billing", "name": "Оплата"}]}]


@pytest.fixture
async def webchat(nats_server: NatsServer, nc: Client, data_dir: Path) -> AsyncIterator[str]:
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    for name in ("billing", "support"):
        department = d.DepartmentView(id=name, name=name)
        await nc.request(
            subjects.directory_command("put_department"),
            d.PutDepartment(actor="t", department=department).to_bytes(),
            timeout=5,
        )
    router = ServiceProcess("router", nats_server.url, data_dir).start()
    env = {"RELAYDESK_WEBCHAT_SITES": json.dumps(SITES)}
    chat = ServiceProcess("webchat", nats_server.url, data_dir, **env).start()
    assert chat.url
    yield chat.url
    for process in (chat, router, store):
        process.stop()


async def command(nc: Client, cmd: c.Command) -> None:
    reply = await nc.request(subjects.command(type(cmd).name), cmd.to_bytes(), timeout=5)
    assert c.COMMAND_REPLY.validate_json(reply.data).ok


async def only_ticket(nc: Client) -> q.TicketDetail:
    """The conversation's ticket, once the router has put it in a department."""
    async with asyncio.timeout(15):
        while True:
            page = q.TicketPage.model_validate_json(
                (await nc.request(subjects.query("list"), q.ListTickets().to_bytes(), 5)).data
            )
            if page.items and page.items[0].department:
                reply = await nc.request(
                    subjects.query("get"), q.GetTicket(ticket_id=page.items[0].id).to_bytes(), 5
                )
                return q.TicketDetail.model_validate_json(reply.data)
            await asyncio.sleep(0.1)


async def test_a_visitor_chats_with_an_agent_and_a_reload_keeps_the_conversation(
    browser: Browser, webchat: str, nc: Client
) -> None:
    context = await browser.new_context(locale="ru-RU")
    page = await context.new_page()
    await page.goto(f"{webchat}/demo")
    await page.click("button.open")
    await page.fill("input[name=name]", "Мария")
    await page.fill("input[name=email]", "maria@example.ru")
    await page.select_option("select[name=department]", "billing")
    await page.click("form.prechat button")
    await page.fill("textarea", "Здравствуйте, не работает оплата 🙏")
    await page.keyboard.press("Enter")
    await page.locator(".line.visitor:not(.pending)").wait_for(timeout=5000)

    ticket = await only_ticket(nc)
    await command(nc, c.AddNote(actor="a1", ticket_id=ticket.ticket.id, text="внутреннее"))
    await command(nc, c.AddReply(actor="a1", ticket_id=ticket.ticket.id, text="Уже едет 🚚"))
    await page.locator(".line.agent", has_text="Уже едет").wait_for(timeout=2000)
    await page.screenshot(path=ARTIFACTS / "webchat.png")
    await page.reload()
    await page.click("button.open")
    await page.locator(".line.agent", has_text="Уже едет").wait_for(timeout=5000)
    lines = await page.locator(".line").all_inner_texts()
    await context.close()

    assert (ticket.ticket.channel, ticket.ticket.department) == ("webchat", "billing")
    assert ticket.contact is not None
    assert (ticket.contact.name, ticket.contact.email) == ("Мария", "maria@example.ru")
    assert [m.text for m in ticket.messages] == ["Здравствуйте, не работает оплата 🙏"]
    assert [m.page for m in ticket.messages] == [f"{webchat}/demo"]  # where the visitor wrote
    assert "Здравствуйте, не работает оплата 🙏" in lines and "Уже едет 🚚" in lines
    assert not any("внутреннее" in x for x in lines)


async def test_typing_files_and_read_receipts_in_the_widget(
    browser: Browser, webchat: str, nc: Client, tmp_path: Path
) -> None:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(f"{webchat}/demo")
    await page.click("button.open")
    await page.fill("input[name=name]", "Ravi")
    await page.click("form.prechat button")
    await page.fill("textarea", "नमस्ते, the invoice is attached")
    await page.keyboard.press("Enter")
    receipt = tmp_path / "чек.pdf"
    receipt.write_bytes(b"%PDF-1.4 receipt")
    await page.set_input_files("label.attach input", str(receipt))
    await page.locator(".line.visitor:not(.pending) a", has_text="чек.pdf").wait_for(timeout=5000)
    ticket = await only_ticket(nc)

    typing = Typing(
        channel="webchat", account="demo", thread_key=ticket.ticket.thread_key, who="agent"
    )
    await nc.publish(subjects.typing_agent("webchat"), typing.to_bytes())
    await page.locator(".typing", has_text="typing").wait_for(timeout=2000)
    await command(nc, c.AddReply(actor="a1", ticket_id=ticket.ticket.id, text="Thanks, got it"))
    await page.locator(".line.agent", has_text="Thanks").wait_for(timeout=2000)
    async with asyncio.timeout(10):
        while True:
            reply = await nc.request(
                subjects.query("get"), q.GetTicket(ticket_id=ticket.ticket.id).to_bytes(), 5
            )
            detail = q.TicketDetail.model_validate_json(reply.data)
            answer = next((m for m in detail.messages if m.direction == "outbound"), None)
            if answer is not None and answer.delivery_status == "read":
                break
            await asyncio.sleep(0.2)
    await context.close()

    files = [a.name for m in detail.messages for a in m.attachments]
    assert files == ["чек.pdf"]
