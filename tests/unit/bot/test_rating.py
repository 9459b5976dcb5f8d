"""Rating links and buttons: signed, checked, and only for what may be rated."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts.directory import DepartmentView
from contracts.tickets import Rating, TicketView
from services.bot import rating

pytestmark = pytest.mark.unit
KEY = b"k" * 32
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
TICKET = TicketView(
    id="a" * 32, number=7, channel="email", account="support", thread_key="t", contact_id="c",
    created_at=NOW, updated_at=NOW, version=1,
)  # fmt: skip
RATES = DepartmentView(id="support", name="Support", csat=True)


def test_a_signed_link_names_its_ticket_and_score_and_nothing_else_verifies() -> None:
    token = rating.sign(KEY, TICKET.id, 4)

    assert rating.verify(KEY, token) == (TICKET.id, 4)
    assert rating.verify(KEY, token.replace(".4.", ".5.")) is None
    assert rating.verify(b"other" * 8, token) is None
    assert rating.verify(KEY, "garbage") is None


def test_buttons_are_one_row_of_five_scores() -> None:
    (row,) = rating.buttons(TICKET.id)

    assert [b.text for b in row] == ["1", "2", "3", "4", "5"]
    assert rating.parse(row[3].data) == (TICKET.id, 4)


@pytest.mark.parametrize("tags", [["auto-reply"], ["bounce"], ["bulk"], ["spam"]])
def test_machines_and_spam_are_never_asked(tags: list[str]) -> None:
    assert not rating.askable(TICKET.model_copy(update={"tags": tags}), RATES)


def test_a_merged_ticket_or_a_department_without_ratings_is_not_asked() -> None:
    assert not rating.askable(TICKET.model_copy(update={"merged_into": "b" * 32}), RATES)
    assert not rating.askable(TICKET, RATES.model_copy(update={"csat": False}))
    assert rating.askable(TICKET, RATES)


def test_a_rating_may_change_for_24_hours_after_the_question() -> None:
    asked = Rating(asked_at=NOW)

    assert rating.open_for(asked, NOW + timedelta(hours=23, minutes=59))
    assert not rating.open_for(asked, NOW + timedelta(hours=24, seconds=1))
    assert not rating.open_for(None, NOW)
