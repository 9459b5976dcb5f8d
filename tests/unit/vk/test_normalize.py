"""VK events as the store is told of them: messages, edits, and what is not a message."""

import json
from pathlib import Path
from typing import Any

import pytest

from channels.vk.normalize import InvalidEvent, Skipped, normalize
from contracts.messages import InboundMessage

pytestmark = pytest.mark.unit
SAMPLE = json.loads((Path(__file__).parents[2] / "fixtures/vk/message_new.json").read_text())


def event(**changes: Any) -> dict[str, Any]:
    found = json.loads(json.dumps(SAMPLE))
    found["object"]["message"].update(changes)
    return found


def test_a_new_message_becomes_an_inbound_message_of_its_chat() -> None:
    message = normalize(SAMPLE, "shop")

    assert isinstance(message, InboundMessage)
    assert (message.thread_key, message.external_id) == ("51234567", "701")
    assert message.sender.channel_user_id == "51234567"
    assert message.sender.language == "ru"
    assert message.text == "Здравствуйте! Заказ №4521 не пришёл 📦"
    assert [a.external_id for a in message.attachments] == ["FAKE/files/photo-x.jpg"]


def test_an_edit_names_the_message_it_edits() -> None:
    edit = {"type": "message_edit", "group_id": 1, "object": {**SAMPLE["object"]["message"],
            "text": "Заказ №4521 пришёл", "update_time": 1764750100}}  # fmt: skip

    message = normalize(edit, "shop")

    assert isinstance(message, InboundMessage)
    assert message.edit_of_external_id == "701"
    assert message.external_id == "701:edit:1764750100"


def test_our_own_outgoing_message_is_never_imported() -> None:
    reply = {"type": "message_reply", "group_id": 1, "object": SAMPLE["object"]["message"]}

    assert isinstance(normalize(reply, "shop"), Skipped)


def test_a_reply_and_forwards_and_a_button_are_kept_in_the_text_and_references() -> None:
    message = normalize(
        event(
            reply_message={"id": 650, "text": "Ваш заказ отправлен"},
            fwd_messages=[{"text": "трек-номер RR123"}],
            payload='{"data": "menu:billing"}',
        ),
        "shop",
    )

    assert isinstance(message, InboundMessage)
    assert message.references == ["650"]
    assert "» трек-номер RR123" in message.text
    assert '[button] {"data": "menu:billing"}' in message.text


def test_a_message_without_a_chat_is_refused() -> None:
    broken = event()
    del broken["object"]["message"]["peer_id"]

    with pytest.raises(InvalidEvent):
        normalize(broken, "shop")


def test_message_deny_and_allow_are_consent_not_messages() -> None:
    deny = normalize({"type": "message_deny", "event_id": "e1", "object": {"user_id": 42}}, "shop")
    allow = normalize(
        {"type": "message_allow", "event_id": "e2", "object": {"user_id": 42, "key": ""}}, "shop"
    )

    assert isinstance(deny, InboundMessage) and isinstance(allow, InboundMessage)
    assert (deny.consent, allow.consent) == ("denied", "allowed")
    assert deny.sender.channel_user_id == "42" and deny.text == ""


def test_a_press_of_our_keyboard_is_a_choice_with_its_label_as_text() -> None:
    pressed = normalize(event(text="Оплата", payload='{"data": "m:billing"}'), "shop")
    foreign = normalize(event(text="Старт", payload='{"command": "start"}'), "shop")

    assert isinstance(pressed, InboundMessage) and isinstance(foreign, InboundMessage)
    assert (pressed.choice, pressed.text.splitlines()[0]) == ("m:billing", "Оплата")
    assert foreign.choice is None and '[button] {"command": "start"}' in foreign.text
