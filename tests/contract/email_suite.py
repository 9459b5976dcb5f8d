"""How every backend threads mail: by a ticket number in the subject (its own contact only),
by a verified reply token (anyone), across mailboxes by Message-ID; and what a mail's kind and
copied addresses leave on its ticket.

Mixed into each backend's contract class beside RepositorySuite, whose fixtures it uses.
"""

from contracts import commands as c
from contracts.messages import InboundMessage, OutboundMessage, Sender
from contracts.queries import ListTickets
from services.store.repository import Repository
from services.store.writer import Writer
from tests.contract.suite import Published


def mail(
    message_id: str, sender: str = "anna@example.ru", account: str = "support", **extra: object
) -> InboundMessage:
    return InboundMessage(
        channel="email",
        account=account,
        thread_key=message_id,
        external_id=message_id,
        sender=Sender(channel_user_id=sender, email=sender, display_name="Анна"),
        subject="Оплата",
        text=f"письмо {message_id}",
        **extra,  # type: ignore[arg-type]
    )


class EmailThreadingSuite:
    async def test_the_subject_number_joins_the_contacts_own_ticket(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([mail("a@x")])
        ticket = (await repo.list_tickets(ListTickets())).items[0]

        await writer.ingest([mail("b@x", ticket_number=ticket.number)])

        assert len((await repo.list_tickets(ListTickets())).items) == 1
        assert len(await repo.messages(ticket.id)) == 2

    async def test_a_stranger_typing_the_number_opens_a_ticket_of_their_own(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([mail("a@x")])
        ticket = (await repo.list_tickets(ListTickets())).items[0]

        await writer.ingest([mail("b@x", sender="eve@example.com", ticket_number=ticket.number)])

        assert len((await repo.list_tickets(ListTickets())).items) == 2
        assert len(await repo.messages(ticket.id)) == 1

    async def test_a_verified_token_joins_whoever_writes(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([mail("a@x")])
        ticket = (await repo.list_tickets(ListTickets())).items[0]

        await writer.ingest([mail("b@x", sender="boss@example.ru", ticket_token=ticket.id)])

        assert len(await repo.messages(ticket.id)) == 2

    async def test_the_same_mail_in_two_mailboxes_is_one_message(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.ingest([mail("a@x", account="support")])

        await writer.ingest([mail("a@x", account="sales")])

        (ticket,) = (await repo.list_tickets(ListTickets())).items
        assert len(await repo.messages(ticket.id)) == 1

    async def test_kinds_and_copied_addresses_stay_on_the_ticket_and_go_back_on_replies(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await writer.ingest([mail("a@x", tags=["auto-reply"], cc=["boss@example.ru"])])
        ticket = (await repo.list_tickets(ListTickets())).items[0]

        await writer.execute(c.AddReply(actor="a1", ticket_id=ticket.id, text="Ответ"))

        assert ticket.tags == ["auto-reply"] and ticket.cc == ["boss@example.ru"]
        (out,) = [
            OutboundMessage.model_validate_json(p)
            for s, p, _ in published.items
            if s.startswith("outbound.")
        ]
        assert (out.cc, out.ticket_number) == (["boss@example.ru"], ticket.number)
