"""What every backend does with bot menus and ratings: a new conversation gets the menu and
waits out of every queue; choices move through it; an answer from the FAQ creates no work;
any words hand over to a person; a resolution asks for a rating that a press records once.
Mixed into each backend's contract class beside RepositorySuite."""

import json
from datetime import timedelta

from contracts import commands as c
from contracts import directory as d
from contracts.menus import HELPED, PERSON, menu_choice, rating_choice
from contracts.queries import ListTickets
from contracts.tickets import TicketView
from services.store.repository import Repository
from services.store.writer import Writer
from tests.contract.suite import Published, inbound

MENU = d.Menu(
    channel="telegram",
    account="bot1",
    nodes=[
        d.MenuNode(
            id="billing",
            title={"ru": "Оплата", "en": "Billing"},
            children=[
                d.MenuNode(id="refund", title={"ru": "Возврат", "en": "Refund"},
                           department="billing", topic="refund", priority="high"),
                d.MenuNode(id="hours", title={"ru": "Часы работы", "en": "Opening hours"},
                           answer={"ru": "Мы работаем с 9 до 18.", "en": "We work 9 to 6."}),
            ],
        ),
        d.MenuNode(id="tech", title={"ru": "Техника", "en": "Tech"}, department="tech"),
    ],
)  # fmt: skip


async def menu_desk(writer: Writer, csat: bool = False) -> None:
    for name in ("billing", "tech"):
        department = d.DepartmentView(id=name, name=name, csat=csat)
        assert isinstance(
            await writer.execute(d.PutDepartment(actor="a", department=department)), c.CommandOk
        )
    assert isinstance(await writer.execute(d.SetMenus(actor="a", menus=[MENU])), c.CommandOk)


async def the_ticket(repo: Repository) -> TicketView:
    (ticket,) = (await repo.list_tickets(ListTickets())).items
    return ticket


async def press(writer: Writer, *choices: str, first: int = 2) -> None:
    """The customer presses `choices` in turn (messages numbered from `first`)."""
    for n, choice in enumerate(choices, first):
        await writer.ingest([inbound(str(n), "", choice=choice)])


async def routed_to_tech(repo: Repository, writer: Writer) -> TicketView:
    """What the router does with a ticket handed over from the menu (no router here)."""
    ticket = await the_ticket(repo)
    await writer.execute(c.RouteTicket(actor="router", ticket_id=ticket.id, department="tech"))
    return ticket


def sent(published: Published) -> list[dict[str, object]]:
    return [json.loads(p) for s, p, _ in published.items if s.startswith("outbound.telegram.")]


def events_of(published: Published, kind: str) -> list[dict[str, object]]:
    return [json.loads(p) for s, p, _ in published.items if s == f"events.{kind}"]


class MenuSuite:
    async def test_a_new_conversation_gets_the_menu_and_waits_out_of_every_queue(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await menu_desk(writer)

        await writer.ingest([inbound("1", "Здравствуйте")])

        ticket = await the_ticket(repo)
        assert (ticket.status, ticket.department, ticket.menu is not None) == (
            "pending",
            None,
            True,
        )
        (menu,) = sent(published)
        datas = [row[0]["data"] for row in menu["buttons"]]  # type: ignore[index]
        assert datas == [menu_choice("billing"), menu_choice("tech"), PERSON]
        created = events_of(published, "ticket.created")[0]
        assert created["ticket"]["menu"]["open"] is True  # type: ignore[index]

    async def test_choices_lead_to_the_leaf_which_hands_over_with_its_path_topic_and_priority(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await menu_desk(writer)
        await writer.ingest([inbound("1", "Здравствуйте")])

        await press(writer, menu_choice("billing"), menu_choice("refund"))

        ticket = await the_ticket(repo)
        assert ticket.menu is not None and ticket.menu.path == ["billing", "refund"]
        assert (ticket.status, ticket.priority, "refund" in ticket.tags) == ("open", "high", True)
        (completed,) = events_of(published, "ticket.menu_completed")
        assert completed["department_hint"] == "billing"
        messages = await repo.messages(ticket.id)
        assert messages[2].text == "▸ Billing"  # the option pressed, not its data

    async def test_an_faq_answer_creates_no_work_until_the_customer_asks_for_a_person(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await menu_desk(writer)
        await writer.ingest([inbound("1", "Здравствуйте")])
        await writer.ingest([inbound("2", "", choice=menu_choice("billing"))])

        await writer.ingest([inbound("3", "", choice=menu_choice("hours"))])
        answered = await the_ticket(repo)
        await writer.ingest([inbound("4", "", choice=PERSON)])

        assert answered.status == "pending" and answered.department is None
        # The customer's language is unknown here: English.
        assert any(m["text"] == "We work 9 to 6." for m in sent(published))
        assert len(events_of(published, "ticket.menu_completed")) == 1
        assert (await the_ticket(repo)).status == "open"

    async def test_this_helped_resolves_without_a_person(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await menu_desk(writer)
        await writer.ingest([inbound("1", "Здравствуйте")])
        await press(writer, menu_choice("billing"), menu_choice("hours"))

        await writer.ingest([inbound("4", "", choice=HELPED)])

        ticket = await the_ticket(repo)
        assert ticket.status == "resolved" and ticket.menu and ticket.menu.outcome == "answered"
        assert events_of(published, "ticket.menu_completed") == []

    async def test_words_at_any_point_go_to_a_person(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await menu_desk(writer)
        await writer.ingest([inbound("1", "Здравствуйте")])

        await writer.ingest([inbound("2", "У меня списали деньги дважды")])

        ticket = await the_ticket(repo)
        assert (ticket.status, ticket.menu and ticket.menu.outcome) == ("open", "typed")
        assert len(events_of(published, "ticket.menu_completed")) == 1

    async def test_a_number_typed_picks_that_option(self, repo: Repository, writer: Writer) -> None:
        await menu_desk(writer)
        await writer.ingest([inbound("1", "Здравствуйте")])

        await writer.ingest([inbound("2", "2")])

        ticket = await the_ticket(repo)
        assert ticket.menu is not None and ticket.menu.path == ["tech"]

    async def test_a_resolution_asks_for_a_rating_a_press_records_it_and_does_not_reopen(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await menu_desk(writer, csat=True)
        await writer.ingest([inbound("1", "Здравствуйте")])
        await writer.ingest([inbound("2", "", choice=menu_choice("tech"))])
        ticket = await routed_to_tech(repo, writer)

        await writer.execute(c.SetStatus(actor="a1", ticket_id=ticket.id, status="resolved"))
        question = sent(published)[-1]
        await writer.ingest([inbound("3", "", choice=rating_choice(ticket.id, 4))])
        await writer.ingest([inbound("4", "", choice=rating_choice(ticket.id, 4))])  # again
        await writer.ingest([inbound("5", "", choice=rating_choice(ticket.id, 5))])  # changed
        await writer.ingest([inbound("6", "Спасибо, всё быстро")])

        after = await the_ticket(repo)
        assert [b["data"] for b in question["buttons"][0]] == [  # type: ignore[index]
            rating_choice(ticket.id, n) for n in range(1, 6)
        ]
        assert after.status == "resolved" and after.rating is not None
        assert (after.rating.score, after.rating.comment) == (5, "Спасибо, всё быстро")
        scores = [(e["score"], e["previous_score"]) for e in events_of(published, "ticket.rated")]
        assert scores == [(4, None), (5, 4), (5, 5)]

    async def test_a_rating_press_from_another_conversation_is_ignored(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await menu_desk(writer, csat=True)
        await writer.ingest([inbound("1", "Здравствуйте")])
        await writer.ingest([inbound("2", "", choice=menu_choice("tech"))])
        ticket = await routed_to_tech(repo, writer)
        await writer.execute(c.SetStatus(actor="a1", ticket_id=ticket.id, status="resolved"))

        await writer.ingest(
            [inbound("x1", "", thread="intruder", choice=rating_choice(ticket.id, 1))]
        )

        assert (await repo.ticket(ticket.id)).rating.score is None  # type: ignore[union-attr]
        assert events_of(published, "ticket.rated") == []

    async def test_a_rating_link_after_24_hours_is_refused(
        self, repo: Repository, writer: Writer
    ) -> None:
        await menu_desk(writer, csat=True)
        await writer.ingest([inbound("1", "слова")])  # handed over at once
        ticket = await routed_to_tech(repo, writer)
        await writer.execute(c.SetStatus(actor="a1", ticket_id=ticket.id, status="resolved"))
        asked = await repo.ticket(ticket.id)
        assert asked is not None and asked.rating is not None
        stale = asked.rating.model_copy(
            update={"asked_at": asked.rating.asked_at - timedelta(hours=25)}
        )
        async with repo.transaction() as uow:
            await uow.get_ticket(ticket.id)  # read in the transaction, as every writer does
            await uow.update_ticket(
                asked.model_copy(update={"rating": stale, "version": asked.version + 1})
            )

        reply = await writer.execute(c.RateTicket(actor="link", ticket_id=ticket.id, score=5))

        assert isinstance(reply, c.CommandError) and reply.field == "score"
