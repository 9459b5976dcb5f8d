"""RepositorySuite: what every storage backend must do. Subclassed once per backend."""

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from contracts import commands as c
from contracts import streams, subjects
from contracts.messages import DeliveryReport, InboundMessage, Sender
from contracts.queries import ListTickets, TicketDetail
from services.store import outbox
from services.store.errors import LostRace
from services.store.queries import detail_json
from services.store.records import OutboxEntry
from services.store.repository import Repository
from services.store.writer import Writer


def inbound(
    external_id: str, text: str = "Здравствуйте", thread: str = "chat-1", **extra: object
) -> InboundMessage:
    return InboundMessage(
        channel="telegram",
        account="bot1",
        thread_key=thread,
        external_id=external_id,
        sender=Sender(channel_user_id=f"user-{thread}", display_name="Анна Петрова"),
        text=text,
        **extra,  # type: ignore[arg-type]
    )


class Published:
    def __init__(self) -> None:
        self.items: list[tuple[str, bytes, str]] = []

    async def __call__(self, entries: Sequence[OutboxEntry]) -> None:
        self.items.extend((e.subject, e.payload, e.msg_id) for e in entries)

    def subjects(self) -> list[str]:
        return [s for s, _, _ in self.items]


class RepositorySuite:
    supports_text_search = True
    supports_rollback = True

    async def make_repository(self) -> Repository:
        raise NotImplementedError("each backend's subclass builds its repository")

    @pytest.fixture
    async def repo(self) -> AsyncIterator[Repository]:
        repository = await self.make_repository()
        await repository.setup()
        yield repository
        await repository.close()

    @pytest.fixture
    def published(self) -> Published:
        return Published()

    @pytest.fixture
    def writer(self, repo: Repository, published: Published) -> Writer:
        return Writer(repo, published)

    async def only_ticket(self, repo: Repository) -> str:
        page = await repo.list_tickets(ListTickets())
        assert len(page.items) == 1
        return page.items[0].id

    async def test_a_first_message_creates_contact_ticket_and_message(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await writer.ingest([inbound("1", "Не работает оплата")])

        page = await repo.list_tickets(ListTickets())
        ticket = page.items[0]
        contact = await repo.contact(ticket.contact_id)
        messages = await repo.messages(ticket.id)
        assert (ticket.number, ticket.status, ticket.subject) == (1, "open", "Не работает оплата")
        assert contact is not None and contact.name == "Анна Петрова"
        assert [m.text for m in messages] == ["Не работает оплата"]
        assert published.subjects() == ["events.ticket.created", "events.message.created"]

    async def test_the_same_platform_message_twice_is_stored_once(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await writer.ingest([inbound("1")])
        await writer.ingest([inbound("1")])
        await writer.ingest([inbound("1"), inbound("1")])

        ticket_id = await self.only_ticket(repo)
        assert len(await repo.messages(ticket_id)) == 1
        assert published.subjects().count("events.message.created") == 1

    async def test_messages_of_one_thread_share_a_ticket_in_order(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound(str(i), f"сообщение {i}") for i in range(5)])
        await writer.ingest([inbound("5", "ещё")])

        ticket_id = await self.only_ticket(repo)
        texts = [m.text for m in await repo.messages(ticket_id)]
        assert texts == [*(f"сообщение {i}" for i in range(5)), "ещё"]

    async def test_a_conversation_read_as_json_is_the_same_conversation(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound(str(i), f"сообщение {i} 🙂") for i in range(3)])
        ticket_id = await self.only_ticket(repo)
        ticket, contact = await repo.ticket(ticket_id), None

        assert ticket is not None
        spliced = detail_json(ticket, contact, await repo.messages_json(ticket_id))
        built = TicketDetail(
            ticket=ticket, contact=contact, messages=await repo.messages(ticket_id)
        )

        assert TicketDetail.model_validate_json(spliced) == built

    async def test_a_resolved_ticket_is_reopened_by_the_customer(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await writer.ingest([inbound("1")])
        ticket_id = await self.only_ticket(repo)
        await writer.execute(c.SetStatus(actor="a1", ticket_id=ticket_id, status="resolved"))
        await writer.ingest([inbound("2", "снова я")])

        ticket = await repo.ticket(ticket_id)
        assert ticket is not None and ticket.status == "open"
        assert "events.ticket.reopened" in published.subjects()

    async def test_a_closed_ticket_thread_starts_a_new_linked_ticket(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound("1")])
        first = await self.only_ticket(repo)
        await writer.execute(c.SetStatus(actor="a1", ticket_id=first, status="closed"))
        await writer.ingest([inbound("2", "новый вопрос")])

        page = await repo.list_tickets(ListTickets(status=["open"]))
        assert len(page.items) == 1
        assert page.items[0].id != first
        assert page.items[0].previous_ticket_id == first

    async def test_a_reply_is_written_with_its_outbound_message(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await writer.ingest([inbound("1")])
        ticket_id = await self.only_ticket(repo)

        reply = await writer.execute(c.AddReply(actor="a1", ticket_id=ticket_id, text="Готово ✅"))

        assert isinstance(reply, c.CommandOk) and reply.message is not None
        outbound = [(s, d) for s, d, _ in published.items if s.startswith("outbound.telegram.")]
        assert len(outbound) == 1 and b"chat-1" in outbound[0][1]
        assert reply.ticket is not None and reply.ticket.first_response_at is not None
        chat = (reply.ticket.account, reply.ticket.thread_key, streams.OUTBOUND_PARTITIONS)
        assert outbound[0][0] == subjects.outbound_chat("telegram", *chat)  # its chat's partition
        await writer.settle()
        assert await repo.pending_outbox(10, older_than=9e12) == []

    async def test_what_a_crashed_writer_left_unpublished_is_relayed_once(
        self, repo: Repository, published: Published
    ) -> None:
        async def broker_down(entries: Sequence[OutboxEntry]) -> None:
            raise ConnectionError("NATS is restarting")

        await Writer(repo, broker_down).ingest([inbound("1"), inbound("2")])
        relayed = await outbox.sweep(repo, published, grace=0)
        again = await outbox.sweep(repo, published, grace=0)

        assert (relayed, again) == (1, 0)
        assert published.subjects() == [
            "events.ticket.created",
            "events.message.created",
            "events.message.created",
        ]

    async def test_an_internal_note_is_never_sent(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await writer.ingest([inbound("1")])
        ticket_id = await self.only_ticket(repo)

        await writer.execute(c.AddNote(actor="a1", ticket_id=ticket_id, text="VIP клиент"))

        directions = [m.direction for m in await repo.messages(ticket_id)]
        assert directions == ["inbound", "note"]
        assert not any(s.startswith("outbound.") for s in published.subjects())

    async def test_a_stale_version_is_refused_as_a_conflict(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound("1")])
        ticket_id = await self.only_ticket(repo)
        await writer.execute(c.SetPriority(actor="a1", ticket_id=ticket_id, priority="high"))

        reply = await writer.execute(
            c.AssignTicket(actor="a2", ticket_id=ticket_id, agent="a2", expected_version=1)
        )

        assert isinstance(reply, c.CommandError) and reply.code == "conflict"

    async def test_commands_leave_an_audit_trail(self, repo: Repository, writer: Writer) -> None:
        await writer.ingest([inbound("1")])
        ticket_id = await self.only_ticket(repo)
        await writer.execute(
            c.TransferTicket(actor="router", ticket_id=ticket_id, department="billing")
        )
        await writer.execute(
            c.AssignTicket(actor="router", ticket_id=ticket_id, agent="a1", reason="least_loaded")
        )

        actions = [(a.actor, a.action) for a in await repo.audit(ticket_id)]
        assert actions == [("system", "created"), ("router", "transferred"), ("router", "assigned")]

    async def test_a_command_batch_applies_each_command_on_its_own(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        for n in range(3):
            await writer.ingest([inbound(f"b{n}", thread=f"b{n}")])
        ids = [t.id for t in (await repo.list_tickets(ListTickets())).items]
        before = len(published.items)

        replies = await writer.execute_many(
            [
                c.AssignTicket(actor="r", ticket_id=ids[0], agent="a1"),
                c.AssignTicket(actor="r", ticket_id=ids[1], agent="a2", expected_version=99),
                c.AssignTicket(actor="r", ticket_id="missing", agent="a3"),
                c.AssignTicket(actor="r", ticket_id=ids[2], agent="a4"),
            ]
        )

        codes = [r.code if isinstance(r, c.CommandError) else "ok" for r in replies]
        assert codes == ["ok", "conflict", "not_found", "ok"]
        assignees = {t.id: t.assignee for t in (await repo.list_tickets(ListTickets())).items}
        assert [assignees[i] for i in ids] == ["a1", None, "a4"]
        assert published.subjects()[before:] == ["events.ticket.assigned"] * 2

    async def test_a_claim_on_a_waiting_ticket_outlives_new_messages_but_not_another_claim(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound("1")])
        ticket_id = await self.only_ticket(repo)
        await writer.execute(c.RouteTicket(actor="router", ticket_id=ticket_id, department="bill"))
        await writer.ingest([inbound("2", "и ещё одно")])  # a new version meanwhile

        def claim(agent: str, department: str = "bill") -> c.AssignTicket:
            return c.AssignTicket(
                actor="router", ticket_id=ticket_id, agent=agent, if_waiting_in=department
            )

        elsewhere = await writer.execute(claim("a1", department="tech"))
        first = await writer.execute(claim("a1"))
        second = await writer.execute(claim("a2"))

        assert isinstance(elsewhere, c.CommandError) and elsewhere.code == "conflict"
        assert isinstance(first, c.CommandOk) and first.ticket is not None
        assert first.ticket.assignee == "a1"
        assert isinstance(second, c.CommandError) and second.code == "conflict"

    async def test_an_unknown_ticket_is_not_found(self, writer: Writer) -> None:
        reply = await writer.execute(c.SetStatus(actor="a1", ticket_id="nope", status="closed"))
        assert isinstance(reply, c.CommandError) and reply.code == "not_found"

    async def test_split_and_merge_keep_every_message_exactly_once(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound(str(i), f"m{i}") for i in range(4)])
        source = await self.only_ticket(repo)
        ids = [m.id for m in await repo.messages(source)]

        split = await writer.execute(
            c.SplitTicket(actor="a1", ticket_id=source, message_ids=ids[2:])
        )
        assert isinstance(split, c.CommandOk) and split.ticket is not None
        assert [m.text for m in await repo.messages(split.ticket.id)] == ["m2", "m3"]
        assert [m.text for m in await repo.messages(source)] == ["m0", "m1"]

        merged = await writer.execute(
            c.MergeTicket(actor="a1", ticket_id=split.ticket.id, into=source)
        )
        assert isinstance(merged, c.CommandOk)
        assert sorted(m.text for m in await repo.messages(source)) == ["m0", "m1", "m2", "m3"]
        assert await repo.messages(split.ticket.id) == []
        gone = await repo.ticket(split.ticket.id)
        assert gone is not None and (gone.status, gone.merged_into) == ("closed", source)
        assert [a.action for a in await repo.audit(source)][-2:] == ["split", "merged"]

    async def test_a_split_cannot_take_every_message(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound("1")])
        source = await self.only_ticket(repo)
        ids = [m.id for m in await repo.messages(source)]

        reply = await writer.execute(c.SplitTicket(actor="a1", ticket_id=source, message_ids=ids))

        assert isinstance(reply, c.CommandError) and reply.code == "invalid"

    async def test_delivery_reports_never_move_a_message_backwards(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound("1")])
        ticket_id = await self.only_ticket(repo)
        reply = await writer.execute(c.AddReply(actor="a1", ticket_id=ticket_id, text="ok"))
        assert isinstance(reply, c.CommandOk) and reply.message is not None

        def report(status: str) -> DeliveryReport:
            return DeliveryReport.model_validate(
                {
                    "outbound_id": "o1",
                    "message_id": reply.message.id,  # type: ignore[union-attr]
                    "ticket_id": ticket_id,
                    "channel": "telegram",
                    "account": "bot1",
                    "status": status,
                    "external_id": "555",
                }
            )

        await writer.deliveries([report("read"), report("sent")])

        message = next(m for m in await repo.messages(ticket_id) if m.direction == "outbound")
        assert (message.delivery_status, message.external_id) == ("read", "555")

    async def test_only_one_live_ticket_per_thread(self, repo: Repository, writer: Writer) -> None:
        await writer.ingest([inbound("1")])
        ticket_id = await self.only_ticket(repo)
        ticket = await repo.ticket(ticket_id)
        assert ticket is not None
        twin = ticket.model_copy(update={"id": "twin", "number": 99})

        with pytest.raises(LostRace):
            async with repo.transaction() as uow:
                await uow.insert_ticket(twin)

    async def test_queue_filters_and_cursor_pages(self, repo: Repository, writer: Writer) -> None:
        for n in range(7):
            await writer.ingest([inbound(f"x{n}", f"вопрос {n}", thread=f"t{n}")])
        page = await repo.list_tickets(ListTickets())
        await writer.execute(
            c.TransferTicket(actor="r", ticket_id=page.items[0].id, department="tech")
        )

        first = await repo.list_tickets(ListTickets(limit=3))
        second = await repo.list_tickets(ListTickets(limit=3, cursor=first.next_cursor))
        third = await repo.list_tickets(ListTickets(limit=3, cursor=second.next_cursor))
        seen = [t.id for p in (first, second, third) for t in p.items]
        assert len(seen) == 7 and len(set(seen)) == 7 and third.next_cursor is None

        tech = await repo.list_tickets(ListTickets(departments=["tech"]))
        none = await repo.list_tickets(ListTickets(assignee="none", department="tech"))
        later = await repo.list_tickets(ListTickets(since=datetime.now(UTC) + timedelta(hours=1)))
        assert [t.department for t in tech.items] == ["tech"]
        assert len(none.items) == 1 and later.items == []

    async def test_a_conversation_finds_its_ticket_by_thread(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([inbound("1", thread="t1"), inbound("2", thread="t2")])

        found = await repo.list_tickets(ListTickets(thread="telegram:bot1:t2"))

        assert [t.thread_key for t in found.items] == ["t2"]

    async def test_a_customers_tickets_on_every_channel_are_found_by_their_email(
        self, repo: Repository, writer: Writer
    ) -> None:
        mail = InboundMessage(
            channel="email",
            account="support",
            thread_key="<a@mail.example>",
            external_id="<a@mail.example>",
            sender=Sender(channel_user_id="maria@example.ru", display_name="Мария"),
            text="Письмо про оплату",
        )
        chat = InboundMessage(
            channel="webchat",
            account="shop",
            thread_key="visitor-1",
            external_id="w1",
            sender=Sender(channel_user_id="visitor-1", email="Maria@Example.ru"),
            text="Из чата про доставку",
        )
        await writer.ingest([mail, chat, inbound("x", "Чужое обращение", thread="other")])

        found = await repo.list_tickets(ListTickets(contact_email="MARIA@example.ru"))

        assert sorted(t.channel for t in found.items) == ["email", "webchat"]

    async def test_a_ticket_is_found_by_its_number(self, repo: Repository, writer: Writer) -> None:
        for n in range(3):
            await writer.ingest([inbound(f"n{n}", f"вопрос {n}", thread=f"n{n}")])

        found = await repo.list_tickets(ListTickets(number=2))

        assert [(t.number, t.subject) for t in found.items] == [(2, "вопрос 1")]

    async def test_a_queue_is_listed_most_urgent_then_oldest_first(
        self, repo: Repository, writer: Writer
    ) -> None:
        for n in range(4):
            await writer.ingest([inbound(f"q{n}", f"вопрос {n}", thread=f"q{n}")])
        by_subject = {t.subject: t.id for t in (await repo.list_tickets(ListTickets())).items}
        await writer.execute(
            c.SetPriority(actor="r", ticket_id=by_subject["вопрос 2"], priority="urgent")
        )
        await writer.execute(
            c.SetPriority(actor="r", ticket_id=by_subject["вопрос 3"], priority="low")
        )

        page = await repo.list_tickets(ListTickets(order="queue", limit=3))

        assert [t.subject for t in page.items] == ["вопрос 2", "вопрос 0", "вопрос 1"]
        assert page.next_cursor is None

    async def test_counts_per_department(self, repo: Repository, writer: Writer) -> None:
        for n in range(3):
            await writer.ingest([inbound(f"x{n}", thread=f"t{n}")])
        counts = await repo.counts(None)
        assert counts.by_status == {"": {"open": 3}} and counts.unassigned == {"": 3}

    async def test_a_russian_word_is_found_by_its_lowercase_form(
        self, repo: Repository, writer: Writer
    ) -> None:
        if not self.supports_text_search:
            pytest.skip("this fake has no $text; the real-MongoDB run covers it")
        await writer.ingest([inbound("1", "Здравствуйте! ОПЛАТА не проходит", thread="a")])
        await writer.ingest([inbound("2", "Доставка задерживается", thread="b")])

        page = await repo.list_tickets(ListTickets(q="оплата"))

        assert [t.subject for t in page.items] == ["Здравствуйте! ОПЛАТА не проходит"]

    async def test_a_thai_word_is_found(self, repo: Repository, writer: Writer) -> None:
        await writer.ingest([inbound("1", "สวัสดีครับระบบไม่ทำงาน", thread="a")])
        await writer.ingest([inbound("2", "ขอบคุณมาก", thread="b")])

        page = await repo.list_tickets(ListTickets(q="ระบบ"))

        assert len(page.items) == 1 and page.items[0].subject == "สวัสดีครับระบบไม่ทำงาน"

    async def test_search_respects_departments(self, repo: Repository, writer: Writer) -> None:
        if not self.supports_text_search:
            pytest.skip("this fake has no $text; the real-MongoDB run covers it")
        await writer.ingest([inbound("1", "секретный счёт", thread="a")])
        ticket_id = await self.only_ticket(repo)
        await writer.execute(c.TransferTicket(actor="r", ticket_id=ticket_id, department="billing"))

        mine = await repo.list_tickets(ListTickets(q="счёт", departments=["tech"]))
        theirs = await repo.list_tickets(ListTickets(q="счёт", departments=["billing"]))

        assert mine.items == [] and len(theirs.items) == 1
