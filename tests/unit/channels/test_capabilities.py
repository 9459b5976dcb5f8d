"""How a reply is cut into the parts a platform takes. Pure."""

from channels._adapter.capabilities import Capabilities, Part, split_text
from contracts.messages import Attachment, Button, OutboundMessage

FILE = Attachment(name="счёт.pdf", content_type="application/pdf", size=10, ref="sha256:ab")


def reply(text: str, attachments: list[Attachment] | None = None) -> OutboundMessage:
    return OutboundMessage(
        ticket_id="t", message_id="m", channel="telegram", account="a", thread_key="1",
        text=text, attachments=attachments or [], buttons=[[Button(text="Да", data="y")]],
    )  # fmt: skip


def test_a_short_reply_is_one_last_part() -> None:
    assert Capabilities(text_limit=4096).parts(reply("Готово ✅")) == [
        Part(0, "Готово ✅", [], last=True)
    ]


def test_a_long_reply_is_cut_at_words_and_only_the_last_part_is_last() -> None:
    parts = Capabilities(text_limit=12).parts(reply("Здравствуйте Анна спасибо за ожидание"))

    assert [p.text for p in parts] == ["Здравствуйте", "Анна спасибо", "за ожидание"]
    assert [p.last for p in parts] == [False, False, True]


def test_files_apart_follow_the_text_one_part_each() -> None:
    parts = Capabilities(text_limit=100, files_apart=True).parts(reply("Счёт", [FILE, FILE]))

    assert [(p.text, len(p.attachments), p.last) for p in parts] == [
        ("Счёт", 0, False),
        ("", 1, False),
        ("", 1, True),
    ]


def test_files_alone_need_no_empty_text_part() -> None:
    parts = Capabilities(files_apart=True).parts(reply("", [FILE]))

    assert [(p.text, len(p.attachments)) for p in parts] == [("", 1)]


def test_files_together_ride_with_the_first_part() -> None:
    parts = Capabilities().parts(reply("Счёт", [FILE]))

    assert parts == [Part(0, "Счёт", [FILE], last=True)]


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    assert split_text("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]
