"""Where the customer's own words end: quoted history and signatures are found, not cut."""

import pytest

from channels.email.quotes import fold_point

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "history",
    [
        "On Mon, 1 Dec 2026 at 10:00, Support <help@shop.ru> wrote:\n> Ваш заказ отправлен",
        "1 дек. 2026 г., в 10:00, Поддержка <help@shop.ru> написал(а):\n> Ваш заказ отправлен",
        "-----Original Message-----\nFrom: help@shop.ru\nSent: Monday\n\nВаш заказ",
        "From: Поддержка <help@shop.ru>\nSent: Monday, 1 December 2026\nTo: anna@example.ru",
        "> Ваш заказ отправлен\n> вчера",
        "-- \nАнна Петрова\n+7 900 000-00-00",
    ],
)
def test_history_and_signatures_start_where_the_customer_stops(history: str) -> None:
    own = "Спасибо, всё получила.\n\n"

    assert fold_point(own + history) == len(own)


def test_answers_between_quotes_are_all_the_customers() -> None:
    text = "> Какой у вас номер заказа?\n123\n> А адрес?\nМосква"

    assert fold_point(text) is None


def test_a_mail_that_is_all_quote_is_shown_whole() -> None:
    assert fold_point("> только цитата\n> и всё") is None
