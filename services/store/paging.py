"""Keyset pagination cursors and search terms, shared by both backends. Pure."""

import base64
import json
import unicodedata

from services.store.errors import Invalid

TRIGRAM = 3
SEARCH_WINDOW = 5_000
MAX_TERMS = 8
MAX_QUERY = 200  # characters of a search query (ListTickets.q)
"""A search looks at its newest matching messages only, at most this many: a word found in a
sixth of a million messages would otherwise make every search read all of them. Rare words
(the usual search: an order number, a name, an email) are never cut."""


def encode_cursor(updated_ts: float, ticket_id: str) -> str:
    raw = json.dumps([updated_ts, ticket_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        ts, ticket_id = json.loads(base64.urlsafe_b64decode(padded))
        return float(ts), str(ticket_id)
    except (ValueError, TypeError) as error:
        raise Invalid("the cursor is not one this store issued", "cursor") from error


def search_terms(q: str) -> list[str]:
    """Words of a query, lower-cased, at most MAX_TERMS of them (each distinct word costs a
    lookup); quotes and FTS operators are plain text here, and control characters (a NUL
    ends an FTS5 string early) are dropped."""
    cleaned = "".join(" " if ch == '"' or unicodedata.category(ch) == "Cc" else ch for ch in q)
    return list(dict.fromkeys(w for w in cleaned.casefold().split() if w))[:MAX_TERMS]


def fts_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: every term as a phrase, all required."""
    return " AND ".join(f'"{t}"' for t in terms)
