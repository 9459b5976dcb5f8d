"""Every Telegram update in the shared corpora normalizes; the fields that matter are right."""

import json
from pathlib import Path

import pytest

from channels.telegram.normalize import Skipped, normalize
from contracts.messages import InboundMessage

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpora" / "telegram"
SAMPLES = sorted(CORPUS.rglob("*.json"))
NOT_MESSAGES = {"11_inline_query.json", "12_chosen_inline_result.json", "my_chat_member.json"}


def sample(name: str) -> InboundMessage:
    path = next(p for p in SAMPLES if p.as_posix().endswith(name))
    result = normalize(json.loads(path.read_text()), "support_bot")
    assert isinstance(result, InboundMessage), result
    return result


def test_the_corpus_is_there() -> None:
    assert len(SAMPLES) == 34


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_normalizes_without_error(path: Path) -> None:
    result = normalize(json.loads(path.read_text()), "support_bot")

    if path.name in NOT_MESSAGES:
        assert isinstance(result, Skipped) and result.reason.startswith("not a message")
    else:
        assert isinstance(result, InboundMessage)
        assert result.text and result.thread_key and result.sender.channel_user_id
        assert result.dedupe_key.startswith("telegram:support_bot:")


def test_a_private_text_message() -> None:
    m = sample("zammad/private/text.json")

    assert (m.thread_key, m.external_id, m.text) == (
        "111111",
        "111111:5",
        "Hello, I need your Help",
    )
    assert m.sender.display_name == "Test Firstname Test Lastname"
    assert m.sender.username == "Testusername"


def test_an_edit_points_at_the_message_it_changes() -> None:
    m = sample("06_edited_message.json")

    assert m.edit_of_external_id == "1111111:1365"
    assert m.external_id != m.edit_of_external_id
    assert m.text == "Edited text"


def test_a_document_keeps_its_name_type_size_and_file_id() -> None:
    m = sample("10_message_with_document.json")

    [document] = m.attachments
    assert document.name == "Testfile.pdf" and document.content_type == "application/pdf"
    assert document.external_id and document.size >= 0


def test_a_photo_keeps_the_largest_size_and_its_caption() -> None:
    m = sample("zammad/private/photo.json")

    assert m.text == "caption 123<b>abc</b>"  # stays text: the inbox never renders it
    assert [a.name for a in m.attachments] == ["photo.jpg"]


def test_a_sticker_is_described() -> None:
    assert sample("zammad/private/sticker.json").text == "[sticker 😄]"


def test_a_reply_keeps_what_it_replies_to() -> None:
    assert sample("05_message_with_reply.json").reply_to_external_id == "1111111:1334"


def test_a_button_press_arrives_as_its_data() -> None:
    m = sample("13_callback_query.json")

    assert m.text == "Data from button callback"
    assert m.external_id.startswith("callback:")


def test_a_deep_link_start_carries_a_department() -> None:
    update = {"update_id": 1, "message": {
        "message_id": 9, "date": 1_700_000_000, "text": "/start billing",
        "chat": {"id": -100500, "type": "supergroup", "title": "Клиенты"},
        "from": {"id": 42, "first_name": "Иван", "language_code": "ru"},
    }}  # fmt: skip

    m = normalize(update, "bot")

    assert isinstance(m, InboundMessage)
    assert m.department_hint == "billing"
    assert (m.thread_key, m.sender.channel_user_id, m.sender.language) == ("-100500", "42", "ru")


def test_a_press_of_our_menu_button_is_a_choice_shown_by_its_title() -> None:
    keyboard = {"inline_keyboard": [[{"text": "Оплата", "callback_data": "m:billing"}]]}
    update = {"update_id": 9, "callback_query": {
        "id": "77", "from": {"id": 5, "is_bot": False, "first_name": "Анна"}, "data": "m:billing",
        "message": {"message_id": 3, "date": 1, "chat": {"id": 5, "type": "private"},
                    "reply_markup": keyboard},
    }}  # fmt: skip

    m = normalize(update, "bot")

    assert isinstance(m, InboundMessage)
    assert (m.choice, m.text) == ("m:billing", "▸ Оплата")


def test_someone_elses_callback_data_is_no_choice() -> None:
    m = sample("13_callback_query.json")

    assert m.choice is None
