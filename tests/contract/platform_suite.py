"""What every backend does with platform ids, edits, tickets agents open and scoped commands.

Mixed into each backend's contract class beside RepositorySuite, whose fixtures it uses.
"""

import pytest

from contracts import commands as c
from contracts import events as ev
from contracts.messages import DeliveryReport, OutboundMessage, Sender
from contracts.queries import ListTickets
from services.store.repository import Repository
from services.store.writer import Writer
from tests.contract.suite import Published, inbound


async def _reply(writer: Writer, ticket_id: str, text: str = "Ответ") -> c.CommandOk:
    done = await writer.execute(c.AddReply(actor="a1", ticket_id=ticket_id, text=text))
    assert isinstance(done, c.CommandOk) and done.message is not None
    return done


def _sent(message_id: str, ticket_id: str, external_id: str) -> DeliveryReport:
    return DeliveryReport(
        outbound_id="o-" + message_id,
        message_id=message_id,
        ticket_id=ticket_id,
        channel="telegram",
        account="bot1",
        status="sent",
        external_id=external_id,
    )


async def _replied(repo: Repository, writer: Writer, thread: str = "chat-1") -> tuple[str, str]:
    """A customer wrote and an agent answered: the ticket's id and the reply's."""
    await writer.ingest([inbound("1", "Письмо", thread=thread)])
    ticket_id = (await repo.list_tickets(ListTickets())).items[0].id
    reply = await _reply(writer, ticket_id)
    assert reply.message is not None
    return ticket_id, reply.message.id


def _seen(external_id: str) -> DeliveryReport:
    return DeliveryReport(
        channel="telegram", account="bot1", status="read", external_id=external_id
    )


def _outbound(published: Published) -> list[OutboundMessage]:
    return [
        OutboundMessage.model_validate_json(payload)
        for subject, payload, _ in published.items
        if subject.startswith("outbound.")
    ]


class PlatformIdSuite:
    supports_text_search = True

    async def test_a_platform_id_recorded_on_sent_resolves_a_later_report(
        self, repo: Repository, writer: Writer
    ) -> None:
        ticket_id, reply_id = await _replied(repo, writer)
        await writer.deliveries([_sent(reply_id, ticket_id, "chat-1:900")])

        await writer.deliveries([_seen("chat-1:900")])

        stored = next(m for m in await repo.messages(ticket_id) if m.id == reply_id)
        assert (stored.delivery_status, stored.external_id) == ("read", "chat-1:900")

    async def test_a_receipt_that_overtakes_the_report_of_its_send_is_applied_after_it(
        self, repo: Repository, writer: Writer
    ) -> None:
        ticket_id, reply_id = await _replied(repo, writer)

        await writer.deliveries([_seen("chat-1:901")])
        await writer.deliveries([_sent(reply_id, ticket_id, "chat-1:901")])

        stored = next(m for m in await repo.messages(ticket_id) if m.id == reply_id)
        assert stored.delivery_status == "read"

    async def test_a_report_naming_an_unknown_platform_id_changes_nothing(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await writer.ingest([inbound("1")])
        before = len(published.items)

        await writer.deliveries(
            [DeliveryReport(channel="telegram", account="bot1", status="read", external_id="x")]
        )

        assert len(published.items) == before

    async def test_an_answer_to_a_sent_reply_joins_its_ticket_whatever_the_thread(
        self, repo: Repository, writer: Writer
    ) -> None:
        ticket_id, reply_id = await _replied(repo, writer, thread="root-1")
        await writer.deliveries([_sent(reply_id, ticket_id, "<r1@desk>")])

        await writer.ingest(
            [inbound("2", "Ответ на ответ", thread="other", references=["<r1@desk>"])]
        )

        page = await repo.list_tickets(ListTickets())
        texts = [m.text for m in await repo.messages(ticket_id)]
        assert len(page.items) == 1 and texts[-1] == "Ответ на ответ"

    async def test_an_answer_to_a_customer_message_joins_its_ticket(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound("m1", "Первое", thread="a")])

        await writer.ingest([inbound("m2", "Второе", thread="b", references=["nope", "m1"])])

        page = await repo.list_tickets(ListTickets())
        assert len(page.items) == 1
        assert [m.text for m in await repo.messages(page.items[0].id)] == ["Первое", "Второе"]

    async def test_a_reply_names_the_message_it_answers_and_its_recipient(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        first = inbound("m1", "Привет")
        first.sender.email = "anna@example.ru"
        await writer.ingest([first, inbound("m2", "Ещё вопрос")])
        ticket_id = (await repo.list_tickets(ListTickets())).items[0].id

        await _reply(writer, ticket_id)

        (out,) = _outbound(published)
        assert out.reply_to_external_id == "m2"
        assert out.references == ["m1", "m2"]
        assert out.recipient == "anna@example.ru"

    async def test_an_edit_is_searched_as_edited(self, repo: Repository, writer: Writer) -> None:
        if not self.supports_text_search:
            pytest.skip("this backend's fake has no text search")
        await writer.ingest([inbound("1", "Вопрос\nстарый текст про кошку")])

        await writer.ingest(
            [inbound("1:edit", "Вопрос\nновый текст про собаку", edit_of_external_id="1")]
        )

        dog = await repo.list_tickets(ListTickets(q="собаку"))
        cat = await repo.list_tickets(ListTickets(q="кошку"))
        assert len(dog.items) == 1 and cat.items == []

    async def test_create_in_a_live_thread_opens_a_new_ticket_and_leaves_the_old_one(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await writer.ingest([inbound("1", thread="chat-1")])
        old = (await repo.list_tickets(ListTickets())).items[0]
        await writer.execute(
            c.RouteTicket(actor="router", ticket_id=old.id, department="sales", priority="high")
        )
        old = await repo.ticket(old.id) or old

        done = await writer.execute(
            c.CreateTicket(
                actor="a1",
                channel="telegram",
                account="bot1",
                thread_key="chat-1",
                sender=Sender(channel_user_id="user-chat-1"),
                subject="Звонок",
                text="Клиент звонил",
                department="support",
            )
        )

        assert isinstance(done, c.CommandOk) and done.ticket is not None
        assert done.ticket.id != old.id and done.ticket.department == "support"
        assert await repo.ticket(old.id) == old
        assert [a.action for a in await repo.audit(old.id)].count("created") == 1
        await writer.ingest([inbound("2", "Ещё", thread="chat-1")])
        assert [m.text for m in await repo.messages(old.id)][-1] == "Ещё"

    async def test_create_announces_the_ticket_and_its_first_message(
        self, writer: Writer, published: Published
    ) -> None:
        await writer.execute(
            c.CreateTicket(
                actor="a1",
                channel="email",
                account="support@desk",
                sender=Sender(channel_user_id="ivan@example.ru", email="ivan@example.ru"),
                text="Перезвонить",
                department="support",
            )
        )

        events = [ev.parse_event(p) for s, p, _ in published.items if s.startswith("events")]
        assert [e.type for e in events] == ["ticket.created", "message.created"]
        created = events[0]
        assert isinstance(created, ev.TicketCreated) and created.actor == "a1"
        assert created.first_message is not None and created.first_message.text == "Перезвонить"

    async def test_a_command_outside_the_actors_departments_is_forbidden_and_writes_nothing(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound("1")])
        ticket = (await repo.list_tickets(ListTickets())).items[0]
        await writer.execute(c.TransferTicket(actor="r", ticket_id=ticket.id, department="vip"))
        before = await repo.ticket(ticket.id)

        reply = await writer.execute(
            c.SetStatus(actor="a1", ticket_id=ticket.id, status="closed", departments=["support"])
        )

        assert isinstance(reply, c.CommandError) and reply.code == "forbidden"
        assert await repo.ticket(ticket.id) == before

    async def test_creating_in_a_department_outside_the_actors_is_forbidden(
        self, repo: Repository, writer: Writer
    ) -> None:
        reply = await writer.execute(
            c.CreateTicket(
                actor="a1",
                channel="email",
                account="support@desk",
                sender=Sender(channel_user_id="x@example.com"),
                text="x",
                department="vip",
                departments=["support"],
            )
        )

        assert isinstance(reply, c.CommandError) and reply.code == "forbidden"
        assert (await repo.list_tickets(ListTickets())).items == []

    async def test_an_agent_creating_for_another_departments_customer_gets_a_contact_of_their_own(
        self, repo: Repository, writer: Writer
    ) -> None:
        first = inbound("1", "Счёт")
        first.sender.phone = "+7 900 000-00-00"
        await writer.ingest([first])
        billing = (await repo.list_tickets(ListTickets())).items[0]
        await writer.execute(
            c.TransferTicket(actor="r", ticket_id=billing.id, department="billing")
        )
        customer = await repo.contact(billing.contact_id)

        def create(departments: list[str] | None) -> c.CreateTicket:
            return c.CreateTicket(
                actor="a1",
                channel="telegram",
                account="bot1",
                sender=Sender(channel_user_id="user-chat-1", display_name="Подставной"),
                text="Проверка",
                department="tech",
                departments=departments,
            )

        scoped = await writer.execute(create(["tech"]))
        admin = await writer.execute(create(None))

        assert isinstance(scoped, c.CommandOk) and scoped.ticket is not None
        assert isinstance(admin, c.CommandOk) and admin.ticket is not None
        own = await repo.contact(scoped.ticket.contact_id)
        assert own is not None and own.id != billing.contact_id
        assert (own.name, own.phone, own.identities) == ("Подставной", None, [])
        assert await repo.contact(billing.contact_id) == customer
        assert admin.ticket.contact_id == billing.contact_id

    async def test_a_customer_who_turned_off_messages_gets_no_reply_sent(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        # In a private chat the chat is the customer (VK's peer_id is the user's id).
        first = inbound("1", thread="42")
        first.sender.channel_user_id = "42"
        await writer.ingest([first])
        ticket_id = (await repo.list_tickets(ListTickets())).items[0].id
        denied = first.model_copy(update={"external_id": "deny:42", "consent": "denied"})

        await writer.ingest([denied])
        refused = await _reply(writer, ticket_id, "Не дойдёт")
        await writer.ingest(
            [denied.model_copy(update={"consent": "allowed", "external_id": "allow:42"})]
        )
        allowed = await _reply(writer, ticket_id, "Дойдёт")

        assert refused.message is not None and refused.message.delivery_status == "failed"
        assert (
            refused.message.delivery_reason
            and "turned off messages" in refused.message.delivery_reason
        )
        assert [o.text for o in _outbound(published)] == ["Дойдёт"]
        assert allowed.message is not None and allowed.message.delivery_status is None
        assert len(await repo.messages(ticket_id)) == 3
