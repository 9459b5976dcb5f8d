"""Menu navigation: choices, numbers, answers, handover; and the data fits Telegram's 64 bytes."""

import pytest

from contracts.directory import Menu, MenuNode
from contracts.menus import HELPED, PERSON, is_choice, menu_choice, rating_choice
from contracts.tickets import MenuState
from services.bot import menu as bot

pytestmark = pytest.mark.unit
MENU = Menu(
    channel="telegram",
    account="bot",
    nodes=[
        MenuNode(id="billing", title={"ru": "Оплата", "en": "Billing"}, children=[
            MenuNode(id="refund", title={"ru": "Возврат", "en": "Refund"}, department="billing",
                     priority="high"),
            MenuNode(id="hours", title={"ru": "Часы", "en": "Hours"}, answer={"ru": "С 9 до 18."}),
        ]),
        MenuNode(id="tech", title={"ru": "Техника"}, department="tech"),
    ],
)  # fmt: skip


def test_the_first_menu_lists_the_top_options_and_a_person() -> None:
    step = bot.first(MENU, "ru")

    assert [row[0].text for row in step.buttons] == ["Оплата", "Техника", "Связаться с сотрудником"]
    assert step.buttons[-1][0].data == PERSON


def test_a_node_with_children_opens_its_submenu() -> None:
    step = bot.step(MENU, MenuState(), menu_choice("billing"), "", "ru")

    assert step.kind == "show" and step.state.path == ["billing"]
    assert [row[0].data for row in step.buttons] == [
        menu_choice("refund"),
        menu_choice("hours"),
        PERSON,
    ]


def test_a_number_picks_the_option_of_the_menu_shown_and_the_next_is_a_person() -> None:
    shown = MenuState(path=["billing"])

    assert bot.chosen(MENU, shown, None, "2") == menu_choice("hours")
    assert bot.chosen(MENU, shown, None, "3.") == PERSON
    assert bot.chosen(MENU, shown, None, "17") is None


def test_an_faq_leaf_answers_and_offers_helped_or_a_person() -> None:
    step = bot.step(MENU, MenuState(path=["billing"]), menu_choice("hours"), "", "ru")

    assert (step.kind, step.say) == ("answer", "С 9 до 18.")
    assert [row[0].data for row in step.buttons] == [HELPED, PERSON]
    assert step.state.open


def test_a_department_leaf_hands_over_closed_with_the_whole_path() -> None:
    step = bot.step(
        MENU, MenuState(path=["billing"], titles=["Оплата"]), menu_choice("refund"), "", "ru"
    )

    assert step.kind == "handover" and step.node is not None and step.node.department == "billing"
    assert (step.state.open, step.state.path, step.state.titles) == (
        False, ["billing", "refund"], ["Оплата", "Возврат"],
    )  # fmt: skip


@pytest.mark.parametrize("words", ["У меня вопрос", "", "m:nonexistent"])
def test_words_or_an_unknown_button_go_to_a_person(words: str) -> None:
    step = bot.step(MENU, MenuState(), words if words.startswith("m:") else None, words, "ru")

    assert step.kind == "handover" and not step.state.open


def test_a_title_missing_in_the_language_falls_back_to_another() -> None:
    assert bot.text({"ru": "Техника"}, "en") == "Техника"


def test_every_button_we_make_fits_telegrams_64_bytes_and_is_recognized() -> None:
    longest = menu_choice("x" * 24), rating_choice("f" * 32, 5), PERSON, HELPED

    assert all(len(x.encode()) <= 64 and is_choice(x) for x in longest)


def test_node_ids_must_be_unique_in_a_menu() -> None:
    twice = [MenuNode(id="a", title={"en": "A"}, department="x")] * 2

    with pytest.raises(ValueError, match="used twice"):
        Menu(channel="vk", account="g", nodes=twice)


def test_a_leaf_that_does_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a department"):
        MenuNode(id="empty", title={"en": "Empty"})
