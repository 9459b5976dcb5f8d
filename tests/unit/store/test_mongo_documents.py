"""MongoDB filters and documents, built without a server."""

from datetime import UTC, datetime

from contracts.queries import ListTickets
from services.store import paging
from services.store.mongo import documents as d
from tests.unit.store.test_rules import ticket


def test_a_ticket_document_marks_the_live_thread() -> None:
    doc = d.ticket_doc(ticket(status="open"))
    closed = d.ticket_doc(ticket(status="closed"))

    assert (doc["thread"], doc["live"], closed["live"]) == ("telegram:bot:42", True, False)


def test_permissions_and_filters_become_one_query() -> None:
    query = ListTickets(departments=["billing"], status=["open"], assignee="none", tag="vip")

    f = d.ticket_filter(query, None)

    assert f == {
        "department": {"$in": ["billing"]},
        "status": {"$in": ["open"]},
        "assignee": None,
        "tags": "vip",
    }


def test_a_date_range_and_a_cursor_narrow_the_page() -> None:
    since = datetime(2026, 11, 1, tzinfo=UTC)
    cursor = paging.encode_cursor(100.0, "t9")

    f = d.ticket_filter(ListTickets(since=since, cursor=cursor), ["t1"])

    assert f["updated_ts"] == {"$gte": since.timestamp()}
    assert f["_id"] == {"$in": ["t1"]}
    assert f["$and"] == [
        {"$or": [{"updated_ts": {"$lt": 100.0}}, {"updated_ts": 100.0, "_id": {"$lt": "t9"}}]}
    ]


def test_spaced_words_use_the_text_index_and_thai_a_substring() -> None:
    assert d.text_search(["оплата"]) == {"$text": {"$search": '"оплата"'}}
    assert d.text_search(["оплата", "ระบบ"]) == {
        "$and": [
            {"$text": {"$search": '"оплата"'}},
            {"search": {"$regex": "ระบบ", "$options": "i"}},
        ]
    }
