"""The agent's inbox in a real browser, on a real desk: live updates, replies and delivery,
notes, department walls, and customer HTML that stays text."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from nats.js.api import DeliverPolicy

from contracts import subjects
from contracts.messages import DeliveryReport, OutboundMessage
from contracts.typing import Typing
from tests.e2e.conftest import ARTIFACTS, Agent
from tests.integration.inbox.conftest import Desk

pytestmark = pytest.mark.e2e
OpenAs = Callable[[str], Awaitable[Agent]]


async def row(agent: Agent, text: str, timeout: float = 2000) -> None:
    await agent.page.locator("li[data-ticket]", has_text=text).first.wait_for(timeout=timeout)


async def open_ticket(agent: Agent, text: str) -> None:
    """Wait for the ticket in the list, then open it."""
    await row(agent, text, timeout=5000)
    await agent.page.locator("li[data-ticket]", has_text=text).first.click()


async def test_a_new_message_appears_live_and_a_template_reply_goes_out_and_is_delivered(
    desk: Desk, agent_tab: OpenAs
) -> None:
    await desk.call("sam", "POST", "/api/v1/templates",
                    json={"name": "Спасибо", "text": "Спасибо, {customer_name}! Проверяем.",
                          "department": "billing"})  # fmt: skip
    anna = await agent_tab("anna")
    await anna.view("allOpen")
    outbound = await desk.nc.jetstream().subscribe(
        subjects.outbound_replies("telegram"),
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW,
    )

    thread = await desk.customer_writes("Не проходит оплата, помогите 🙏")
    await row(anna, "Не проходит оплата", timeout=2000)  # live, no reload
    await anna.page.screenshot(path=ARTIFACTS / "inbox.png")
    await anna.page.locator("li[data-ticket]", has_text="Не проходит оплата").first.click()
    await anna.page.wait_for_selector("article[data-direction=inbound]")
    await anna.page.fill("input[name=template]", "Спасибо")
    await anna.page.dispatch_event("input[name=template]", "change")
    await anna.page.click("form.composer button[type=submit]")
    sent = OutboundMessage.model_validate_json((await outbound.next_msg(timeout=10)).data)
    reply = anna.page.locator("article[data-direction=outbound]").last
    await reply.locator("[data-delivery=pending]").wait_for(timeout=5000)
    for status in ("sent", "delivered"):
        report = DeliveryReport(
            outbound_id=sent.id, message_id=sent.message_id, ticket_id=sent.ticket_id,
            channel="telegram", account=sent.account, status=status, external_id="tg-1",  # type: ignore[arg-type]
        )  # fmt: skip
        await desk.nc.jetstream().publish(subjects.delivery("telegram"), report.to_bytes())
        await reply.locator(f"[data-delivery={status}]").wait_for(timeout=5000)
    await anna.page.screenshot(path=ARTIFACTS / "ticket.png")

    assert sent.thread_key == thread
    assert sent.text.startswith("Спасибо, Клиент! Проверяем.")
    assert anna.errors == []
    await outbound.unsubscribe()


async def test_an_internal_note_is_shown_as_a_note_and_never_sent(
    desk: Desk, agent_tab: OpenAs
) -> None:
    anna = await agent_tab("anna")
    await anna.view("allOpen")
    await desk.customer_writes("оплата: нужен счёт")
    await open_ticket(anna, "нужен счёт")
    outbound = await desk.nc.jetstream().subscribe(
        subjects.outbound_replies("telegram"),
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW,
    )

    await anna.page.click("button[name=mode-note]")
    await anna.page.fill("textarea[name=reply]", "Счёт выставит бухгалтерия")
    await anna.page.click("form.composer button[type=submit]")
    note = anna.page.locator("article[data-direction=note]", has_text="Счёт выставит бухгалтерия")
    await note.wait_for(timeout=5000)

    assert await note.locator(".label").count() == 1
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(outbound.next_msg(timeout=2), 3)
    await outbound.unsubscribe()


async def test_another_department_sees_nothing_until_a_transfer_brings_it_live(
    desk: Desk, agent_tab: OpenAs
) -> None:
    anna, tina = await agent_tab("anna"), await agent_tab("tina")
    for tab in (anna, tina):
        await tab.view("allOpen")
    await desk.customer_writes("оплата с ошибкой 0xDEAD")
    await row(anna, "0xDEAD", timeout=5000)
    await asyncio.sleep(0.5)
    hidden = await tina.page.locator("li[data-ticket]", has_text="0xDEAD").count()

    await anna.page.locator("li[data-ticket]", has_text="0xDEAD").first.click()
    await anna.page.select_option("select[name=department]", "tech")
    await row(tina, "0xDEAD", timeout=5000)

    assert hidden == 0
    await anna.page.locator("li[data-ticket]", has_text="0xDEAD").wait_for(state="detached")


async def test_customer_html_is_shown_as_text_and_runs_nothing(
    desk: Desk, agent_tab: OpenAs
) -> None:
    hostile = 'оплата <img src=x onerror="window.pwned=1;alert(1)"><script>alert(2)</script>'
    anna = await agent_tab("anna")
    await anna.view("allOpen")
    await desk.customer_writes(hostile)

    await open_ticket(anna, "оплата <img")
    text = anna.page.locator("article[data-direction=inbound] .text").first
    await text.wait_for()

    assert await text.inner_text() == hostile
    assert await anna.page.locator("article .text img, article .text script").count() == 0
    assert await anna.page.evaluate("window.pwned") is None
    assert anna.dialogs == [] and anna.errors == []


async def test_a_mails_quoted_history_is_folded_and_its_original_offered(
    desk: Desk, agent_tab: OpenAs
) -> None:
    own = "Спасибо, оплата прошла\n\n"
    anna = await agent_tab("anna")
    await anna.view("allOpen")
    await desk.customer_writes(
        own + "> Отправили вчера курьером",
        channel="email",
        folded_from=len(own),
        raw_ref="file:" + "a" * 64,
    )

    await open_ticket(anna, "Спасибо, оплата прошла")
    article = anna.page.locator("article[data-direction=inbound]").first
    quoted = article.locator("details.quoted")
    await quoted.wait_for()

    assert await quoted.evaluate("d => d.open") is False
    assert not await article.get_by_text("Отправили вчера курьером").is_visible()
    await quoted.locator("summary").click()
    assert await article.get_by_text("Отправили вчера курьером").is_visible()
    assert await article.locator(".original a").count() == 1
    assert anna.errors == []


async def test_a_file_attached_in_the_composer_goes_out_and_downloads_again(
    desk: Desk, agent_tab: OpenAs
) -> None:
    anna = await agent_tab("anna")
    await anna.view("allOpen")
    await desk.customer_writes("оплата: нужен чек")
    await open_ticket(anna, "нужен чек")
    content = "Чек №42 ✅".encode()

    await anna.page.set_input_files(
        "input[name=files]",
        files=[{"name": "чек.txt", "mimeType": "text/plain", "buffer": content}],
    )
    await anna.page.fill("textarea[name=reply]", "Чек во вложении")
    await anna.page.click("form.composer button[type=submit]")
    link = anna.page.locator("article[data-direction=outbound] [data-file='чек.txt']")
    await link.wait_for(timeout=5000)
    async with anna.page.expect_download() as waiting:
        await link.click()
    download = await waiting.value
    saved = await download.path()

    assert download.suggested_filename == "чек.txt"
    assert saved is not None and saved.read_bytes() == content


async def test_typing_shows_both_ways_between_the_agent_and_the_customer(
    desk: Desk, agent_tab: OpenAs
) -> None:
    anna = await agent_tab("anna")
    await anna.view("allOpen")
    thread = await desk.customer_writes("оплата: сейчас опишу подробно")
    await open_ticket(anna, "сейчас опишу")
    agent_typing = await desk.nc.subscribe(subjects.typing_agent("telegram"))
    customer = Typing(channel="telegram", account="bot1", thread_key=thread, who="customer")

    async def keeps_typing() -> None:  # as the widget does, every couple of seconds
        while True:
            await desk.nc.publish(subjects.TYPING_CUSTOMER, customer.to_bytes())
            await asyncio.sleep(1.0)

    typing = asyncio.create_task(keeps_typing())
    shown = anna.page.locator(".typing", has_text="печатает")
    await shown.wait_for(timeout=5000)
    typing.cancel()
    await anna.page.type("textarea[name=reply]", "Смотрю")
    heard = Typing.model_validate_json((await agent_typing.next_msg(timeout=3)).data)
    await agent_typing.unsubscribe()

    assert (heard.thread_key, heard.who) == (thread, "agent")


async def test_a_reply_being_written_survives_a_new_customer_message(
    desk: Desk, agent_tab: OpenAs
) -> None:
    anna = await agent_tab("anna")
    await anna.view("allOpen")
    thread = await desk.customer_writes("оплата: вопрос про чек")
    await open_ticket(anna, "вопрос про чек")
    await anna.page.click("textarea[name=reply]")
    await anna.page.keyboard.type("Сейчас посмотрю ваш ")

    await desk.customer_writes("и ещё: чек не пришёл на почту", thread=thread)
    await anna.page.locator("article", has_text="чек не пришёл").wait_for(timeout=5000)
    await anna.page.keyboard.type("чек")

    assert await anna.page.input_value("textarea[name=reply]") == "Сейчас посмотрю ваш чек"


async def test_the_sla_column_shows_the_due_time_and_turns_red_at_breach(
    desk: Desk, agent_tab: OpenAs
) -> None:
    policy = {
        "name": "Биллинг: первый ответ за час",
        "match": {"departments": ["billing"], "tags": ["sla-e2e"]},
        "first_response_minutes": 60,
        "warning_minutes": 15,
    }
    saved = await desk.call("root", "PUT", "/api/v1/sla-policies", json={"policies": [policy]})
    assert saved.status_code == 200, saved.text
    await asyncio.sleep(0.5)  # the store reads the changed directory
    await desk.customer_writes("оплата: где мой чек?", tags=["sla-e2e"])
    anna = await agent_tab("anna")
    await anna.page.clock.install()
    await anna.page.reload()  # the token is kept: the desk opens again, on the page's clock
    await anna.page.wait_for_selector("nav.views")
    await anna.view("allOpen")
    badge = anna.page.locator("li[data-ticket]", has_text="где мой чек").locator(".sla")

    await badge.wait_for(timeout=5000)
    on_time = (await badge.get_attribute("data-sla"), await badge.inner_text())
    await anna.page.clock.fast_forward("00:50:00")
    await anna.page.wait_for_selector("li[data-ticket] .sla[data-sla=warning]", timeout=5000)
    await anna.page.clock.fast_forward("00:11:00")
    await anna.page.wait_for_selector("li[data-ticket] .sla[data-sla=breached]", timeout=5000)
    late = await badge.inner_text()
    colour = await badge.evaluate("el => getComputedStyle(el).backgroundColor")
    await anna.page.screenshot(path=str(ARTIFACTS / "sla-breached.png"))

    assert on_time[0] == "ok" and "Первый ответ через" in on_time[1], on_time
    assert "просрочено" in late, late
    assert colour == "rgb(180, 35, 24)"  # the breached badge
    assert anna.errors == []


async def test_the_contact_panel_shows_the_customers_local_time(
    desk: Desk, agent_tab: OpenAs
) -> None:
    thread = await desk.customer_writes("оплата из Владивостока, у нас уже вечер")
    ticket = await desk.ticket_of("anna", thread)
    path = f"/api/v1/tickets/{ticket['id']}/contact"
    assert (await desk.call("anna", "PUT", path, json={"timezone": "Asia/Vladivostok"})).is_success
    anna = await agent_tab("anna")
    await anna.view("allOpen")

    await open_ticket(anna, "у нас уже вечер")
    shown = anna.page.locator("aside.contact .local-time")
    await shown.wait_for(timeout=5000)
    zone = await anna.page.locator("aside.contact input[name=contact-timezone]").input_value()
    expected = await anna.page.evaluate(
        "() => new Date().toLocaleTimeString([], {timeZone: 'Asia/Vladivostok', "
        "hour: '2-digit', minute: '2-digit'})"
    )

    assert zone == "Asia/Vladivostok"
    assert (await shown.inner_text()) == f"Местное время {expected}"


async def test_the_menu_path_and_the_rating_show_on_the_ticket(
    desk: Desk, agent_tab: OpenAs
) -> None:
    menu = {"channel": "telegram", "account": "bot1", "nodes": [
        {"id": "pay", "title": {"ru": "Оплата", "en": "Payments"}, "children": [
            {"id": "refund", "title": {"ru": "Возврат денег", "en": "Refund"},
             "department": "billing"}]}]}  # fmt: skip
    assert (await desk.call("root", "PUT", "/api/v1/menus", json={"menus": [menu]})).is_success
    billing = {"id": "billing", "name": "billing", "csat": True}
    assert (await desk.call("root", "PUT", "/api/v1/departments/billing", json=billing)).is_success
    await asyncio.sleep(0.5)  # the store and the router read the changed directory
    thread = await desk.customer_writes("Здравствуйте, вопрос про чек")
    await desk.customer_writes("", thread=thread, choice="m:pay")
    await desk.customer_writes("", thread=thread, choice="m:refund")
    ticket = await desk.ticket_of("anna", thread)
    resolved = await desk.call(
        "anna", "POST", f"/api/v1/tickets/{ticket['id']}/status", json={"status": "resolved"}
    )
    assert resolved.is_success, resolved.text
    await desk.customer_writes("", thread=thread, choice=f"r:{ticket['id']}:5")
    await desk.customer_writes("Очень быстро, спасибо!", thread=thread)
    anna = await agent_tab("anna")
    await anna.view("resolved")

    await open_ticket(anna, "вопрос про чек")
    path = anna.page.locator(".facts .menu-path")
    score = anna.page.locator(".facts .rating")
    await score.wait_for(timeout=5000)
    await anna.page.screenshot(path=str(ARTIFACTS / "menu-and-rating.png"))

    # Titles as the customer saw them: in their language, English when it is unknown.
    assert await path.inner_text() == "Меню бота: Payments › Refund"
    assert await score.get_attribute("data-score") == "5"
    assert "«Очень быстро, спасибо!»" in await anna.page.locator(".facts").inner_text()
    await desk.call("root", "PUT", "/api/v1/menus", json={"menus": []})


async def test_the_reports_page_draws_the_chart_the_heat_map_and_the_tables(
    desk: Desk, agent_tab: OpenAs
) -> None:
    thread = await desk.customer_writes("оплата: отчёт за месяц")
    ticket = await desk.ticket_of("sam", thread)
    await desk.call(
        "sam", "POST", f"/api/v1/tickets/{ticket['id']}/messages", json={"text": "Готово"}
    )
    sam = await agent_tab("sam")

    await sam.page.click("button[name=reports]")
    await sam.page.wait_for_selector("section.reports[data-loaded]", timeout=10000)
    await sam.page.wait_for_function(
        "() => document.querySelector('#volume-chart').width > 0", timeout=5000
    )
    await sam.page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)

    drawn = await sam.page.evaluate(
        "() => { const c = document.querySelector('#volume-chart'); const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; "
        "i += 4) if (d[i]) n++; return n; }"
    )
    assert drawn > 1000  # pixels painted: the chart is there, not an empty canvas
    busy = sam.page.locator("table.heat td[data-n]:not([data-n='0'])")
    assert await busy.count() >= 1
    for table in ("response_times", "sla", "csat", "backlog"):
        assert await sam.page.locator(f"section[data-table={table}]").count() == 1
    assert sam.errors == []
