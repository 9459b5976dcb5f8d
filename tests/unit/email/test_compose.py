"""A reply as the customer's mail client receives it: threaded, numbered, signed, answerable."""

import email
from email.message import EmailMessage
from email.policy import default

import pytest

from channels.email import tokens
from channels.email.compose import choices, compose
from channels.email.settings import MailAccount
from contracts.messages import Button, OutboundMessage

pytestmark = pytest.mark.unit
SECRET = b"k" * 32
ACCOUNT = MailAccount(account="support", addresses=["help@shop.ru"], signature="Магазин")
LONG_ID = (
    "CAOXJ6SQ49ZRmAmZF0eacHeBoFFpmDfwJ-y1WP+sHUu2yrOfORA-very-long-local-part@mail.example.com"
)


def reply(**fields: object) -> OutboundMessage:
    values: dict[str, object] = {
        "ticket_id": "0" * 32,
        "message_id": "m1",
        "channel": "email",
        "account": "support",
        "thread_key": "t",
        "text": "Ответ",
        "subject": "Оплата не проходит",
        "recipient": "anna@example.ru",
        "ticket_number": 42,
        "reply_to_external_id": LONG_ID,
        "references": ["root@example.ru", LONG_ID],
        **fields,
    }
    return OutboundMessage.model_validate(values)


def sent(out: OutboundMessage, files: list[tuple[str, str, bytes]] | None = None) -> EmailMessage:
    raw = compose(out, ACCOUNT, SECRET, "desk.test", files or []).as_bytes()
    parsed = email.message_from_bytes(raw, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_long_ids_stay_ids_in_in_reply_to_and_references() -> None:
    mail = sent(reply())

    assert mail["In-Reply-To"] == f"<{LONG_ID}>"
    assert str(mail["References"]).split() == ["<root@example.ru>", f"<{LONG_ID}>"]


def test_the_subject_carries_the_ticket_number_once_and_says_re() -> None:
    assert sent(reply())["Subject"] == "Re: [#42] Оплата не проходит"
    assert sent(reply(subject="Re: [#42] Оплата"))["Subject"] == "Re: [#42] Оплата"


def test_the_reply_to_address_carries_a_token_that_names_the_ticket() -> None:
    address = str(sent(reply())["Reply-To"])

    assert tokens.ticket_of(SECRET, [address]) == "0" * 32


def test_a_forged_token_names_no_ticket() -> None:
    forged = tokens.reply_address(b"other-secret", "help@shop.ru", "1" * 32)

    assert tokens.ticket_of(SECRET, [forged]) is None


def test_the_department_name_signs_and_the_signature_closes_the_text() -> None:
    mail = sent(reply(department_name="Бухгалтерия", signature="Бухгалтерия магазина"))

    body = mail.get_body(("plain",))
    assert str(mail["From"]) == "Бухгалтерия <help@shop.ru>"
    assert body is not None
    assert body.get_content().replace("\r\n", "\n").endswith("-- \nБухгалтерия магазина\n")


def test_a_cyrillic_file_name_survives_the_trip() -> None:
    mail = sent(reply(), [("Акт сверки.pdf", "application/pdf", b"%PDF")])

    (part,) = list(mail.iter_attachments())
    assert part.get_filename() == "Акт сверки.pdf"
    assert part.get_content() == b"%PDF"


def test_copied_addresses_are_copied_back_and_automatic_mail_says_so() -> None:
    mail = sent(reply(cc=["boss@example.ru"], automatic=True))

    assert mail["Cc"] == "boss@example.ru"
    assert mail["Auto-Submitted"] == "auto-replied"


def test_a_reply_to_nobody_is_refused() -> None:
    with pytest.raises(ValueError, match="no email address"):
        compose(reply(recipient=None), ACCOUNT, SECRET, "desk.test", [])


def test_a_menu_is_mailed_as_a_numbered_list_and_a_rating_as_one_link_per_score() -> None:
    menu = [[Button(text="Оплата", data="m:billing")], [Button(text="Техника", data="m:tech")]]
    rating = [[Button(text=str(n), data=f"r:{'a' * 32}:{n}") for n in range(1, 3)]]

    listed = choices(menu, lambda ticket, score: f"https://desk.example/rate/{ticket}.{score}")
    linked = choices(rating, lambda ticket, score: f"https://desk.example/rate/{ticket}.{score}")

    assert listed.splitlines() == [
        "1. Оплата",
        "2. Техника",
        "Ответьте цифрой · Reply with the number",
    ]
    assert linked.splitlines() == [
        f"1: https://desk.example/rate/{'a' * 32}.1",
        f"2: https://desk.example/rate/{'a' * 32}.2",
    ]
