"""The indexes the MongoDB store creates on start-up (DESIGN §4: race safety comes from them)."""

from pymongo import ASCENDING, DESCENDING, IndexModel

INDEXES: dict[str, list[IndexModel]] = {
    "tickets": [
        IndexModel([("number", ASCENDING)], unique=True),
        # At most one live ticket per thread ($ne is not allowed in partial filters).
        IndexModel(
            [("thread", ASCENDING)],
            unique=True,
            partialFilterExpression={"live": True},
            name="live_thread",
        ),
        IndexModel([("thread", ASCENDING), ("created_ts", DESCENDING)]),
        IndexModel([("status", ASCENDING), ("department", ASCENDING), ("updated_ts", DESCENDING)]),
        IndexModel([("department", ASCENDING), ("updated_ts", DESCENDING)]),
        IndexModel([("assignee", ASCENDING), ("updated_ts", DESCENDING)]),
        IndexModel([("updated_ts", DESCENDING), ("_id", DESCENDING)]),
        IndexModel([("contact_id", ASCENDING), ("updated_ts", DESCENDING)]),
        # The router's sweep: tickets with an SLA warning, breach or follow-up due.
        IndexModel(
            [("timer_ts", ASCENDING)],
            partialFilterExpression={"timer_ts": {"$type": "double"}},
            name="timer",
        ),
    ],
    "messages": [
        IndexModel(
            [("dedupe_key", ASCENDING)],
            unique=True,
            partialFilterExpression={"dedupe_key": {"$type": "string"}},
            name="dedupe_key",
        ),
        IndexModel([("ticket_id", ASCENDING), ("seq", ASCENDING)]),
        # "none": no stemming or stop words, so any language is matched word for word.
        IndexModel([("search", "text")], default_language="none", name="search_text"),
    ],
    "contacts": [
        IndexModel([("identities", ASCENDING)], unique=True),
        IndexModel([("email", ASCENDING)]),
    ],
    "outbox": [IndexModel([("published_ts", ASCENDING), ("created_ts", ASCENDING)])],
    "audit": [IndexModel([("ticket_id", ASCENDING), ("at_ts", ASCENDING)])],
    # Receipts that came before the report of the send they are about (see ingest.py).
    "receipts": [IndexModel([("key", ASCENDING)])],
    "directory": [
        IndexModel([("kind", ASCENDING), ("seq", ASCENDING)]),
        IndexModel(
            [("email", ASCENDING)],
            unique=True,
            partialFilterExpression={"kind": "agent"},
            name="agent_email",
        ),
    ],
}
