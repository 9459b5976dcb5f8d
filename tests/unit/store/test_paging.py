"""Cursors and search terms shared by both backends."""

import pytest

from services.store import paging
from services.store.errors import Invalid


def test_a_cursor_round_trips() -> None:
    cursor = paging.encode_cursor(1764412200.123456, "t-42")

    assert paging.decode_cursor(cursor) == (1764412200.123456, "t-42")


def test_a_forged_cursor_is_refused_clearly() -> None:
    with pytest.raises(Invalid, match="cursor"):
        paging.decode_cursor("bm90IGEgY3Vyc29y")


def test_search_terms_fold_case_in_every_script() -> None:
    assert paging.search_terms('  ОПЛАТА "Счёт"  ') == ["оплата", "счёт"]


def test_fts_query_requires_every_term_as_a_phrase() -> None:
    assert paging.fts_query(["оплата", "карта"]) == '"оплата" AND "карта"'


def test_control_characters_never_reach_the_full_text_query() -> None:
    # Found by schemathesis: a NUL inside a phrase ended the FTS5 string early (a 503).
    terms = paging.search_terms('"\U0001f103\x00\U00029cf9\x8c оплата\tзаказ')

    assert all(ch.isprintable() for term in terms for ch in term)
    assert terms[-2:] == ["оплата", "заказ"]
