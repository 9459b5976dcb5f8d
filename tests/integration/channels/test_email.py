"""The email channel on real NATS with the store: mail in through the SMTP ingress, replies
out to the customer's mail server (aiosmtpd) or to `.eml` files, threads kept both ways,
bounces marking replies failed."""

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from nats.aio.client import Client

from contracts import queries as q
from contracts import streams
from services.runtime.broker import ensure_streams
from services.runtime.files import FileStore
from tests.integration.channels.mailservers import (
    CUSTOMER,
    DEMO,
    DESK,
    EmailDesk,
    customer_server,
    email_desk,
)
from tests.integration.channels.test_telegram import reply, tickets

pytestmark = pytest.mark.integration
__all__ = ["customer_server", "email_desk"]


def customer_mail(subject: str, text: str, to: str = DESK, **headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"Анна Петрова <{CUSTOMER}>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="customer.test")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(text)
    return mail


async def ticket_with(nc: Client, subject: str, messages: int = 1) -> q.TicketDetail:
    async with asyncio.timeout(20):
        while True:
            for detail in await tickets(nc):
                if detail.ticket.subject == subject and len(detail.messages) >= messages:
                    return detail
            await asyncio.sleep(0.1)


async def reply_state(nc: Client, subject: str, status: str) -> q.TicketDetail:
    async with asyncio.timeout(20):
        while True:
            detail = await ticket_with(nc, subject)
            out = [m for m in detail.messages if m.direction == "outbound"]
            if out and out[-1].delivery_status == status:
                return detail
            await asyncio.sleep(0.1)


async def test_a_cyrillic_mail_with_a_cyrillic_file_becomes_a_ticket(
    email_desk: EmailDesk, nc: Client
) -> None:
    mail = customer_mail("Не проходит оплата", "Здравствуйте! Карта отклонена.")
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="Счёт №7.pdf")

    await asyncio.to_thread(email_desk.send, mail)

    detail = await ticket_with(nc, "Не проходит оплата")
    (message,) = detail.messages
    assert detail.contact is not None and detail.contact.name == "Анна Петрова"
    assert detail.contact.email == CUSTOMER
    assert message.text == "Здравствуйте! Карта отклонена."
    assert [a.name for a in message.attachments] == ["Счёт №7.pdf"]


async def test_mail_for_an_address_we_do_not_serve_is_refused(email_desk: EmailDesk) -> None:
    mail = customer_mail("x", "y", to="nobody@desk.test")

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await asyncio.to_thread(email_desk.send, mail)

    assert refused.value.recipients["nobody@desk.test"][0] == 550


async def test_a_mail_over_the_size_limit_is_refused_with_552(email_desk: EmailDesk) -> None:
    mail = customer_mail("big", "x" * 1_200_000)

    with pytest.raises(smtplib.SMTPException) as refused:
        await asyncio.to_thread(email_desk.send, mail)

    assert "552" in str(refused.value)


async def test_the_reply_is_threaded_and_the_customers_answer_joins_the_ticket(
    email_desk: EmailDesk, nc: Client
) -> None:
    first = customer_mail("Где мой заказ?", "Заказ 123 не пришёл")
    await asyncio.to_thread(email_desk.send, first)
    detail = await ticket_with(nc, "Где мой заказ?")

    await reply(nc, detail.ticket.id, "Отправили вчера")
    await reply_state(nc, "Где мой заказ?", "sent")
    (ours,) = email_desk.customer.mails
    answer = customer_mail(
        str(ours["Subject"]),
        "Спасибо, получила\n\n> Отправили вчера",
        to=str(ours["Reply-To"]),
        In_Reply_To=str(ours["Message-ID"]),
        References=f"{first['Message-ID']} {ours['Message-ID']}",
    )
    await asyncio.to_thread(email_desk.send, answer)

    assert ours["In-Reply-To"] == first["Message-ID"]
    assert ours["Subject"] == f"Re: [#{detail.ticket.number}] Где мой заказ?"
    assert str(ours["From"]) == f"Поддержка <{DESK}>"
    assert str(ours["Reply-To"]).startswith("support+")
    body = ours.get_body(("plain",))
    assert body is not None and "Служба поддержки" in body.get_content()
    joined = await ticket_with(nc, "Где мой заказ?", messages=3)
    last = joined.messages[-1]
    assert last.folded_from is not None
    assert last.text[: last.folded_from].strip() == "Спасибо, получила"
    assert last.raw_ref is not None
    original = FileStore.under(email_desk.data_dir, 1).read(last.raw_ref)
    assert original is not None and b"In-Reply-To" in original


async def test_a_demo_account_writes_its_replies_as_eml_files(
    email_desk: EmailDesk, nc: Client
) -> None:
    await asyncio.to_thread(email_desk.send, customer_mail("Демо", "Привет", to=DEMO))
    detail = await ticket_with(nc, "Демо")

    await reply(nc, detail.ticket.id, "Ответ в файле")

    await reply_state(nc, "Демо", "sent")
    (written,) = (email_desk.data_dir / "mail" / "outbox" / "demo").glob("*.eml")
    assert "Ответ в файле" in written.read_bytes().decode()


async def test_a_bounce_of_our_reply_marks_it_failed_with_the_reason(
    email_desk: EmailDesk, nc: Client
) -> None:
    await asyncio.to_thread(email_desk.send, customer_mail("Возврат", "Вопрос"))
    detail = await ticket_with(nc, "Возврат")
    await reply(nc, detail.ticket.id, "Ответ, который вернётся")
    await reply_state(nc, "Возврат", "sent")
    (ours,) = email_desk.customer.mails
    bounce = (
        "From: MAILER-DAEMON@customer.test\r\nTo: support@desk.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@customer.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        ' boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; customer.test\r\n\r\n"
        "Final-Recipient: rfc822; anna@customer.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ours['Message-ID']}\r\n"
        "--B--\r\n"
    ).encode()

    await asyncio.to_thread(email_desk.send, bounce)

    failed = await reply_state(nc, "Возврат", "failed")
    out = [m for m in failed.messages if m.direction == "outbound"][-1]
    assert out.delivery_reason == "bounced: 550 5.1.1 mailbox unavailable"


async def test_a_mail_that_cannot_be_stored_gets_451_so_the_sender_keeps_it(
    email_desk: EmailDesk, nc: Client
) -> None:
    js = nc.jetstream()
    await js.delete_stream(streams.INBOUND.name)
    mail = customer_mail("Повтор", "Письмо во время сбоя")

    with pytest.raises(smtplib.SMTPDataError) as refused:
        await asyncio.to_thread(email_desk.send, mail)
    await ensure_streams(js)
    accepted = await asyncio.to_thread(email_desk.send, mail)

    assert refused.value.smtp_code == 451
    assert accepted == {}


async def test_a_5xx_from_the_mail_server_fails_the_reply_with_its_words(
    email_desk: EmailDesk, nc: Client
) -> None:
    await asyncio.to_thread(email_desk.send, customer_mail("Спам?", "Вопрос"))
    detail = await ticket_with(nc, "Спам?")
    email_desk.customer.refuse = "554 5.7.1 Message rejected as spam"

    await reply(nc, detail.ticket.id, "Ответ, который отклонят")

    failed = await reply_state(nc, "Спам?", "failed")
    out = [m for m in failed.messages if m.direction == "outbound"][-1]
    assert out.delivery_reason is not None
    assert "554 5.7.1 Message rejected as spam" in out.delivery_reason
    assert email_desk.customer.mails == []
