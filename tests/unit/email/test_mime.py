"""The parser on what Russian-speaking teams' mail looks like: Cyrillic in every charset and
every header, declared wrong, split, raw; HTML only; invites and forwarded mails."""

import base64

import pytest

from channels.email.mime import parse

pytestmark = pytest.mark.unit


def _mail(headers: str, body: bytes, ctype: str = "text/plain; charset=utf-8") -> bytes:
    head = f"From: a@example.com\r\nTo: support@relaydesk.local\r\n{headers}"
    return (f"{head}Content-Type: {ctype}\r\n\r\n").encode() + body


def _word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


@pytest.mark.parametrize("charset", ["koi8-r", "windows-1251", "iso-8859-5", "utf-8"])
def test_cyrillic_subject_and_body_in_any_declared_charset(charset: str) -> None:
    raw = _mail(
        f"Subject: {_word('Не работает оплата', charset)}\r\n",
        "Здравствуйте, оплата картой не проходит.".encode(charset),
        f"text/plain; charset={charset}",
    )

    mail = parse(raw)

    assert mail.subject == "Не работает оплата"
    assert mail.text == "Здравствуйте, оплата картой не проходит."


def test_a_body_declared_utf8_but_written_in_windows_1251_is_read() -> None:
    raw = _mail("Subject: x\r\n", "Добрый день! Счёт не пришёл на почту.".encode("cp1251"))

    mail = parse(raw)

    assert mail.text == "Добрый день! Счёт не пришёл на почту."
    assert any("did not read the text" in d for d in mail.defects)


def test_an_encoded_word_split_inside_a_character_is_joined() -> None:
    data = "Вопрос по заказу".encode()
    first, second = base64.b64encode(data[:7]).decode(), base64.b64encode(data[7:]).decode()

    mail = parse(_mail(f"Subject: =?UTF-8?B?{first}?=\r\n =?UTF-8?B?{second}?=\r\n", b"x"))

    assert mail.subject == "Вопрос по заказу"


def test_a_raw_utf8_subject_and_display_name_are_read() -> None:
    raw = (
        "From: Иван Петров <ivan@example.ru>\r\nTo: s@relaydesk.local\r\n"
        "Subject: Где мой заказ?\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nТекст"
    ).encode()

    mail = parse(raw)

    assert mail.sender is not None
    assert (mail.sender.name, mail.sender.email) == ("Иван Петров", "ivan@example.ru")
    assert mail.subject == "Где мой заказ?"


def test_an_encoded_display_name_with_a_comma_stays_one_address() -> None:
    raw = _mail("", b"x").replace(
        b"From: a@example.com", f"From: {_word('Петров, Иван', 'utf-8')} <p@example.ru>".encode()
    )

    mail = parse(raw)

    assert mail.sender is not None
    assert (mail.sender.name, mail.sender.email) == ("Петров, Иван", "p@example.ru")


def test_a_cyrillic_attachment_name_in_rfc2231_form() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee file\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment;\r\n"
        b" filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82%20%E2%84%961.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
    )

    mail = parse(raw)

    assert [(f.name, f.data) for f in mail.files] == [("Счёт №1.pdf", b"%PDF-")]


def test_html_only_mail_is_sanitized_and_gives_its_text() -> None:
    html = (
        "<html><head><style>p{}</style></head><body><p>Привет</p>"
        '<script>alert(1)</script><a href="javascript:x()" onclick="y()">ссылка</a></body>'
    )

    mail = parse(_mail("Subject: x\r\n", html.encode(), "text/html; charset=utf-8"))

    assert mail.html is not None
    assert "script" not in mail.html and "onclick" not in mail.html
    assert "javascript" not in mail.html
    assert mail.text == "Привет\nссылка"


def test_the_ticket_number_in_the_subject_is_found() -> None:
    assert parse(_mail("Subject: Re: [#1234] Оплата\r\n", b"x")).ticket_number == 1234


def test_a_calendar_invite_and_a_forwarded_mail_are_kept_as_files() -> None:
    inner = b"From: c@example.com\r\nSubject: =?utf-8?B?0J/RgNC40LLQtdGC?=\r\n\r\nhello\r\n"
    raw = (
        b"From: a@example.com\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
        b"--b\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"--b--\r\n"
    )

    mail = parse(raw)

    assert [f.name for f in mail.files] == ["text.ics", "Привет.eml"]
    assert mail.text == "see below"


def test_a_mail_without_message_id_gets_one_from_its_source() -> None:
    raw = _mail("Subject: x\r\n", b"x")

    assert parse(raw).message_id == parse(raw).message_id
    assert parse(raw).message_id != parse(raw + b"y").message_id
