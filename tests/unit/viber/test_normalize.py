"""Viber callbacks as the store is told of them."""

import json
from pathlib import Path

import pytest

from channels.viber.normalize import InvalidCallback, Skipped, normalize
from contracts.messages import InboundMessage

pytestmark = pytest.mark.unit
CORPUS = Path(__file__).parents[2] / "fixtures/corpora/viber/viber-bot-python"
SAMPLE = json.loads((CORPUS / "unicode_request.json").read_text())


def test_the_sdks_unicode_message_is_read_whole() -> None:
    message = normalize(SAMPLE, "shop")

    assert isinstance(message, InboundMessage)
    assert (message.thread_key, message.external_id) == ("01234567890A=", "4912661846655238145")
    assert message.text == SAMPLE["message"]["text"]
    assert message.sender.display_name == SAMPLE["sender"]["name"]


def test_a_picture_is_a_file_to_download_and_a_location_is_text() -> None:
    picture = {**SAMPLE, "message": {"type": "picture", "media": "https://x/p.jpg", "size": 10}}
    place = {**SAMPLE, "message": {"type": "location", "location": {"lat": 55.75, "lon": 37.61}}}

    first, second = normalize(picture, "shop"), normalize(place, "shop")

    assert isinstance(first, InboundMessage) and isinstance(second, InboundMessage)
    assert [a.external_id for a in first.attachments] == ["https://x/p.jpg"]
    assert second.text == "📍 55.75, 37.61"


def test_unsubscribed_is_a_consent_not_a_message() -> None:
    gone = normalize({"event": "unsubscribed", "user_id": "abc=", "message_token": 7}, "shop")

    assert isinstance(gone, InboundMessage) and gone.consent == "denied"


def test_the_webhook_check_and_conversation_started_are_skipped() -> None:
    assert isinstance(normalize({"event": "webhook"}, "shop"), Skipped)
    assert isinstance(normalize({"event": "conversation_started", "user": {}}, "shop"), Skipped)


def test_a_message_without_its_sender_is_refused() -> None:
    with pytest.raises(InvalidCallback):
        normalize({**SAMPLE, "sender": None}, "shop")


def test_a_keyboard_reply_of_ours_is_a_choice_and_words_stay_words() -> None:
    rating = {**SAMPLE, "message": {"type": "text", "text": "r:" + "a" * 32 + ":5"}}
    words = {**SAMPLE, "message": {"type": "text", "text": "m: это не кнопка"}}

    pressed, typed = normalize(rating, "shop"), normalize(words, "shop")

    assert isinstance(pressed, InboundMessage) and isinstance(typed, InboundMessage)
    assert (pressed.choice, pressed.text) == ("r:" + "a" * 32 + ":5", "")
    assert (typed.choice, typed.text) == (None, "m: это не кнопка")
