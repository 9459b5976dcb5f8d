"""What the store is told of a mail: who, which conversation, which ticket it names."""

import pytest

from channels.email import tokens
from channels.email.mime import parse
from channels.email.normalize import to_inbound
from channels.email.settings import MailAccount

pytestmark = pytest.mark.unit
SECRET = b"s" * 32
ACCOUNT = MailAccount(account="support", addresses=["help@shop.ru", "sales@shop.ru"])


def inbound(headers: str, envelope: list[str] | None = None):  # type: ignore[no-untyped-def]
    raw = f"{headers}Content-Type: text/plain; charset=utf-8\r\n\r\nТекст".encode()
    return to_inbound(parse(raw), ACCOUNT, envelope or [], SECRET, "file:raw", [])


def test_a_new_mail_is_its_own_conversation_from_its_sender() -> None:
    message = inbound("From: Анна <Anna@Example.ru>\r\nTo: help@shop.ru\r\nMessage-ID: <a@x>\r\n")

    assert (message.thread_key, message.external_id) == ("a@x", "a@x")
    assert (message.sender.channel_user_id, message.sender.display_name) == (
        "anna@example.ru",
        "Анна",
    )
    assert message.recipient == "help@shop.ru"
    assert message.raw_ref == "file:raw"


def test_an_answer_names_what_it_answers_and_the_conversation_root() -> None:
    message = inbound(
        "From: a@example.ru\r\nMessage-ID: <c@x>\r\nIn-Reply-To: <b@x>\r\n"
        "References: <a@x> <b@x>\r\nSubject: Re: [#17] Оплата\r\n"
    )

    assert message.thread_key == "a@x"
    assert message.references == ["b@x", "a@x"]
    assert message.ticket_number == 17


def test_a_signed_reply_address_in_the_envelope_names_its_ticket() -> None:
    address = tokens.reply_address(SECRET, "help@shop.ru", "f" * 32)

    message = inbound("From: a@example.ru\r\nTo: help@shop.ru\r\n", envelope=[address])

    assert message.ticket_token == "f" * 32


def test_others_on_the_mail_are_kept_as_copies_but_not_our_own_addresses() -> None:
    message = inbound(
        "From: a@example.ru\r\nTo: help@shop.ru, boss@example.ru\r\n"
        "Cc: sales+x@shop.ru, Бухгалтер <acc@example.ru>\r\n"
    )

    assert message.cc == ["boss@example.ru", "acc@example.ru"]


def test_an_auto_reply_is_tagged() -> None:
    message = inbound("From: a@example.ru\r\nSubject: Автоответ: в отпуске\r\n")

    assert message.tags == ["auto-reply"]


def test_a_bounce_without_a_sender_is_kept_as_the_mail_system() -> None:
    message = inbound(
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n"
    )

    assert message.sender.channel_user_id == "mailer-daemon"


def test_a_huge_mail_fits_on_the_bus_and_points_at_its_original() -> None:
    html = "<p>" + "Очень длинная рассылка. " * 60_000 + "</p>"
    raw = (
        "From: a@example.ru\r\nSubject: big\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + html
    ).encode()

    message = to_inbound(parse(raw), ACCOUNT, [], SECRET, "file:raw", [])

    assert len(message.to_bytes()) < 1_000_000
    assert message.html is None and message.raw_ref == "file:raw"
    assert message.text.endswith("The rest of this mail is in the original message.")


@pytest.mark.parametrize(
    ("date", "zone"),
    [("Thu, 3 Dec 2026 09:15:00 +1000", "+10:00"), ("Thu, 3 Dec 2026 09:15:00 -0930", "-09:30"),
     ("Thu, 3 Dec 2026 09:15:00 +0000", None), ("garbage", None)],
)  # fmt: skip
def test_the_date_headers_offset_tells_the_senders_local_time(date: str, zone: str | None) -> None:
    message = inbound(f"From: a@example.ru\r\nMessage-ID: <d@x>\r\nDate: {date}\r\n")

    assert message.sender.timezone == zone
