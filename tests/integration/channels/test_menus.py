"""Bot menus and ratings through every channel's fake platform, on the whole desk (store,
router, inbox and every adapter under `relaydesk up`'s supervisor): the customer's choices
end in the right department with the path on the ticket, an FAQ answer makes no work for an
agent until they ask for a person, words go to a person at once; ratings are recorded once
per resolution and changeable; a mail's rating link works and a forged one is refused."""

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import websockets

from contracts import commands as c
from contracts import directory as d
from contracts import queries as q
from contracts.menus import PERSON, menu_choice, rating_choice
from contracts.tickets import TicketView
from services.runtime.store_client import StoreClient
from tests.fullstack import (
    VIBER_WEBHOOK,
    VK_CALLBACK,
    FullDesk,
    Mailer,
    Webhooks,
    mail,
    update,
    viber_message,
    vk_event,
)  # fmt: skip

pytestmark = pytest.mark.integration
NODES = [
    d.MenuNode(id="billing", title={"ru": "Оплата", "en": "Billing"}, children=[
        d.MenuNode(id="refund", title={"ru": "Возврат", "en": "Refund"}, department="billing",
                   topic="refund"),
        d.MenuNode(id="hours", title={"ru": "Часы работы", "en": "Hours"},
                   answer={"ru": "Мы работаем с 9 до 18.", "en": "We work 9 to 6."}),
    ]),
    d.MenuNode(id="tech", title={"ru": "Техника", "en": "Tech"}, department="tech"),
]  # fmt: skip
ACCOUNTS = [("telegram", "support_bot"), ("vk", "shop"), ("viber", "shop"), ("webchat", "demo"),
            ("email", "support")]  # fmt: skip


@pytest.fixture(scope="module")
async def desk(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FullDesk]:
    running = await FullDesk(tmp_path_factory.mktemp("menus"), agents=1).start()
    for name in ("billing", "tech"):
        department = d.DepartmentView(id=name, name=name, csat=True)
        await running.directory(d.PutDepartment(actor="t", department=department))
    menus = [d.Menu(channel=ch, account=acc, nodes=NODES) for ch, acc in ACCOUNTS]  # type: ignore[arg-type]
    await running.directory(d.SetMenus(actor="t", menus=menus))
    yield running
    await running.stop()


async def ticket_where(desk: FullDesk, check: Callable[[TicketView], bool]) -> TicketView:
    assert desk.nc is not None
    store = StoreClient(desk.nc)
    async with asyncio.timeout(20):
        while True:
            for ticket in await store.all_tickets(q.ListTickets(limit=500)):
                if check(ticket):
                    return ticket
            await asyncio.sleep(0.1)


def of(channel: str, thread: str) -> Callable[[TicketView], bool]:
    return lambda t: t.channel == channel and t.thread_key == thread


async def until(found: Callable[[], Any], timeout: float = 15) -> Any:
    async with asyncio.timeout(timeout):
        while not (result := found()):
            await asyncio.sleep(0.1)
    return result


# ----- how each channel's customer writes and presses -----


def telegram_press(update_id: int, chat: int, data: str) -> bytes:
    person = {"id": chat, "is_bot": False, "first_name": "Клиент"}
    query = {"id": f"q{update_id}", "from": person, "data": data,
             "message": {"message_id": 1, "date": int(time.time()),
                         "chat": {**person, "type": "private"}}}  # fmt: skip
    return json.dumps({"update_id": update_id, "callback_query": query}).encode()


def vk_press(event_id: int, peer: int, message_id: int, label: str, data: str) -> bytes:
    event = json.loads(vk_event(event_id, peer, message_id, label))
    event["object"]["message"]["payload"] = json.dumps({"data": data})
    return json.dumps(event, ensure_ascii=False).encode()


async def through_telegram(desk: FullDesk, chat: int, steps: list[str]) -> TicketView:
    hooks = Webhooks(desk.url("telegram"))
    assert await hooks.post(update(chat, chat, 1, "Здравствуйте")) == 200
    await ticket_where(desk, lambda t: of("telegram", str(chat))(t) and t.menu is not None)
    for n, data in enumerate(steps, 2):
        assert await hooks.post(telegram_press(chat * 10 + n, chat, data)) == 200
        await asyncio.sleep(0.3)  # one choice at a time, as a person presses
    return await ticket_where(desk, lambda t: of("telegram", str(chat))(t) and not t.menu.open)  # type: ignore[union-attr]


async def through_vk(desk: FullDesk, peer: int, steps: list[str]) -> TicketView:
    hooks = Webhooks(desk.url("vk"), path=VK_CALLBACK)
    assert await hooks.post(vk_event(peer, peer, 1, "Здравствуйте")) == 200
    await ticket_where(desk, lambda t: of("vk", str(peer))(t) and t.menu is not None)
    for n, data in enumerate(steps, 2):
        body = vk_press(peer * 10 + n, peer, n, data, data)
        assert await hooks.post(body) == 200
        await asyncio.sleep(0.3)
    return await ticket_where(desk, lambda t: of("vk", str(peer))(t) and not t.menu.open)  # type: ignore[union-attr]


async def through_viber(desk: FullDesk, user: int, steps: list[str]) -> TicketView:
    hooks = Webhooks(desk.url("viber"), path=VIBER_WEBHOOK)
    body, signed = viber_message(user * 100, user, "Здравствуйте")
    assert await hooks.post(body, headers=signed) == 200
    thread = f"u{user}="
    await ticket_where(desk, lambda t: of("viber", thread)(t) and t.menu is not None)
    for n, data in enumerate(steps, 1):
        body, signed = viber_message(user * 100 + n, user, data)
        assert await hooks.post(body, headers=signed) == 200
        await asyncio.sleep(0.3)
    return await ticket_where(desk, lambda t: of("viber", thread)(t) and not t.menu.open)  # type: ignore[union-attr]


async def through_webchat(desk: FullDesk, steps: list[str]) -> TicketView:
    url = desk.url("webchat").replace("http", "ws") + "/webchat/demo/ws"
    async with websockets.connect(url, origin="https://shop.example") as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"language": "ru"}))
        visitor = json.loads(await ws.recv())["token"].split(".")[0]
        await ws.recv()  # history
        await ws.send(json.dumps({"type": "message", "id": "w1", "text": "Здравствуйте"}))
        for n, data in enumerate(steps, 2):
            while True:  # the bot's line with its choices
                frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
                if frame["type"] == "line" and frame["line"]["buttons"]:
                    break
            offered = [b["data"] for row in frame["line"]["buttons"] for b in row]
            assert data in offered, (data, offered)
            press = {"type": "message", "id": f"w{n}", "text": "▸", "choice": data}
            await ws.send(json.dumps(press))
    return await ticket_where(desk, lambda t: of("webchat", visitor)(t) and not t.menu.open)  # type: ignore[union-attr]


async def through_email(desk: FullDesk, conversation: int, answers: list[str]) -> TicketView:
    mailer = Mailer(desk.smtp_port, connections=1)
    assert await mailer.send(mail(f"m{conversation}-0", conversation, "Здравствуйте")) == 250
    mine = of("email", f"conv-{conversation}@customer.test")
    await ticket_where(desk, lambda t: mine(t) and t.menu is not None)
    for n, answer in enumerate(answers, 1):
        await until(lambda: any("Ответьте цифрой" in x for x in desk.mailed()))
        assert await mailer.send(mail(f"m{conversation}-{n}", conversation, answer)) == 250
        await asyncio.sleep(0.5)
    return await ticket_where(desk, lambda t: mine(t) and not t.menu.open)  # type: ignore[union-attr]


Walk = Callable[[FullDesk, list[str]], Awaitable[TicketView]]
WALKS: dict[str, Walk] = {
    "telegram": lambda desk, steps: through_telegram(desk, 7001, steps),
    "vk": lambda desk, steps: through_vk(desk, 7101, steps),
    "viber": lambda desk, steps: through_viber(desk, 72, steps),
    "webchat": through_webchat,
}


@pytest.mark.parametrize("channel", sorted(WALKS))
async def test_menu_choices_end_in_the_leafs_department_with_the_path_on_the_ticket(
    desk: FullDesk, channel: str
) -> None:
    ticket = await WALKS[channel](desk, [menu_choice("billing"), menu_choice("refund")])

    routed = await ticket_where(desk, lambda t: t.id == ticket.id and t.department is not None)
    assert routed.menu is not None and routed.menu.path == ["billing", "refund"]
    assert (routed.department, "refund" in routed.tags, routed.status) == ("billing", True, "open")


async def test_a_mailed_numbered_answer_walks_the_menu(desk: FullDesk) -> None:
    ticket = await through_email(desk, 7301, ["2"])

    routed = await ticket_where(desk, lambda t: t.id == ticket.id and t.department is not None)
    assert routed.menu is not None and routed.menu.path == ["tech"]
    assert routed.department == "tech"
    assert any("1. Оплата" in x or "1. Billing" in x for x in desk.mailed())


async def test_an_faq_answer_makes_no_work_until_the_customer_asks_for_a_person(
    desk: FullDesk,
) -> None:
    hooks = Webhooks(desk.url("telegram"))
    chat = 7401
    assert await hooks.post(update(chat, chat, 1, "Здравствуйте")) == 200
    await ticket_where(desk, lambda t: of("telegram", str(chat))(t) and t.menu is not None)
    for n, data in enumerate([menu_choice("billing"), menu_choice("hours")], 2):
        assert await hooks.post(telegram_press(chat * 10 + n, chat, data)) == 200
        await asyncio.sleep(0.3)

    answered = await ticket_where(
        desk,
        lambda t: of("telegram", str(chat))(t) and t.menu.path == ["billing", "hours"],  # type: ignore[union-attr]
    )
    await asyncio.sleep(1)  # the router would have routed it by now, were it work
    waiting = await ticket_where(desk, lambda t: t.id == answered.id)
    assert (waiting.department, waiting.status) == (None, "pending")
    faq = [x for x in desk.bot_api.sent() if "We work 9 to 6" in x.params.get("text", "")
           or "Мы работаем" in x.params.get("text", "")]  # fmt: skip
    assert len(faq) == 1

    assert await hooks.post(telegram_press(chat * 10 + 9, chat, PERSON)) == 200

    handed = await ticket_where(desk, lambda t: t.id == answered.id and t.department is not None)
    assert handed.department == "support" and handed.status == "open"


async def test_words_at_any_point_go_to_a_person(desk: FullDesk) -> None:
    hooks = Webhooks(desk.url("telegram"))
    chat = 7501
    assert await hooks.post(update(chat, chat, 1, "Здравствуйте")) == 200
    await ticket_where(desk, lambda t: of("telegram", str(chat))(t) and t.menu is not None)
    assert await hooks.post(telegram_press(chat * 10 + 2, chat, menu_choice("billing"))) == 200
    await asyncio.sleep(0.3)

    assert await hooks.post(update(chat * 10 + 3, chat, 3, "Списали деньги дважды!")) == 200

    ticket = await ticket_where(
        desk, lambda t: of("telegram", str(chat))(t) and t.department is not None
    )
    assert ticket.menu is not None and ticket.menu.outcome == "typed"
    assert ticket.status == "open"


async def test_rating_buttons_record_one_rating_per_resolution_and_a_second_press_changes_it(
    desk: FullDesk,
) -> None:
    assert desk.nc is not None
    ticket = await through_telegram(desk, 7601, [menu_choice("tech")])
    routed = await ticket_where(desk, lambda t: t.id == ticket.id and t.department == "tech")
    store = StoreClient(desk.nc)
    await store.commands([c.SetStatus(actor="t", ticket_id=routed.id, status="resolved")])
    question = await until(lambda: [x for x in desk.bot_api.sent() if rating_choice(routed.id, 5)
                                     in json.dumps(x.params)])  # fmt: skip
    hooks = Webhooks(desk.url("telegram"))

    assert await hooks.post(telegram_press(760101, 7601, rating_choice(routed.id, 4))) == 200
    rated = await ticket_where(desk, lambda t: t.id == routed.id and t.rating.score == 4)  # type: ignore[union-attr]
    assert await hooks.post(telegram_press(760102, 7601, rating_choice(routed.id, 2))) == 200
    changed = await ticket_where(desk, lambda t: t.id == routed.id and t.rating.score == 2)  # type: ignore[union-attr]

    assert len(question) == 1
    assert rated.status == "resolved" and changed.status == "resolved"


async def test_a_mailed_rating_link_works_once_per_score_and_a_forged_one_is_refused(
    desk: FullDesk,
) -> None:
    assert desk.nc is not None
    ticket = await through_email(desk, 7701, ["2"])
    routed = await ticket_where(desk, lambda t: t.id == ticket.id and t.department == "tech")
    await StoreClient(desk.nc).commands(
        [c.SetStatus(actor="t", ticket_id=routed.id, status="resolved")]
    )
    mailed = await until(lambda: [x for x in desk.mailed() if f"/rate/{routed.id}.5." in x])
    link = re.search(r"https?://\S+/rate/" + routed.id + r"\.5\.[0-9a-f]{32}", mailed[0])
    assert link is not None
    forged = link.group(0)[:-4] + "0000"

    async with httpx.AsyncClient(timeout=10) as http:
        first = await http.get(link.group(0))
        again = await http.get(link.group(0))
        refused = await http.get(forged)

    assert (first.status_code, again.status_code, refused.status_code) == (200, 200, 403)
    rated = await ticket_where(desk, lambda t: t.id == routed.id and t.rating.score == 5)  # type: ignore[union-attr]
    trail = await StoreClient(desk.nc).audit(routed.id, None)
    assert rated.status == "resolved"
    assert [e.detail["score"] for e in trail.entries if e.action == "rated"] == [5]
