"""MongoDB documents and filters for the store's records. Pure (no pymongo: the indexes,
which need its IndexModel, are in indexes.py)."""

import re
from typing import Any

from contracts.queries import ListTickets
from contracts.tickets import PRIORITIES, ContactView, MessageView, TicketView
from services.store import paging, rules

ASCENDING, DESCENDING = 1, -1  # pymongo's sort directions, without importing it
Doc = dict[str, Any]
NO_SPACE_SCRIPTS = re.compile(
    r"[\u0E00-\u0E7F\u0E80-\u0EFF\u1000-\u109F\u3040-\u30FF\u4E00-\u9FFF]"
)


def ticket_doc(t: TicketView) -> Doc:
    return {
        "_id": t.id,
        "number": t.number,
        "thread": rules.thread_of(t),
        "live": t.status != "closed",
        "status": t.status,
        "priority": t.priority,
        "priority_rank": PRIORITIES.index(t.priority),
        "department": t.department,
        "assignee": t.assignee,
        "channel": t.channel,
        "contact_id": t.contact_id,
        "tags": t.tags,
        "created_ts": t.created_at.timestamp(),
        "updated_ts": t.updated_at.timestamp(),
        "version": t.version,
        "timer_ts": t.timer_at.timestamp() if t.timer_at else None,
        "view": t.model_dump(mode="json"),
    }


def message_doc(m: MessageView, dedupe_key: str | None, seq: Any) -> Doc:
    doc: Doc = {"_id": m.id, "ticket_id": m.ticket_id, "seq": seq}
    if dedupe_key is not None:
        doc["dedupe_key"] = dedupe_key
    doc["view"] = m.model_dump(mode="json")
    return doc


def contact_doc(c: ContactView) -> Doc:
    return {
        "_id": c.id,
        "identities": c.identities,
        "email": c.email.strip().lower() if c.email else None,
        "view": c.model_dump(mode="json"),
    }


def ticket_of(doc: Doc | None) -> TicketView | None:
    return TicketView.model_validate(doc["view"]) if doc else None


def message_of(doc: Doc | None) -> MessageView | None:
    return MessageView.model_validate(doc["view"]) if doc else None


def contact_of(doc: Doc | None) -> ContactView | None:
    return ContactView.model_validate(doc["view"]) if doc else None


def text_search(terms: list[str]) -> Doc:
    """Words matched by the text index; words of scripts written without spaces (Thai, CJK)
    by a case-insensitive substring, because the text index cannot split them."""
    spaced = [t for t in terms if not NO_SPACE_SCRIPTS.search(t)]
    unspaced = [t for t in terms if NO_SPACE_SCRIPTS.search(t)]
    clauses: list[Doc] = []
    if spaced:
        clauses.append({"$text": {"$search": " ".join(f'"{t}"' for t in spaced)}})
    clauses += [{"search": {"$regex": re.escape(t), "$options": "i"}} for t in unspaced]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def email_filter(address: str) -> Doc:
    """The contacts of the customers with this email address (see ListTickets.contact_email)."""
    address = address.strip().lower()
    return {"$or": [{"identities": rules.identity("email", address)}, {"email": address}]}


def ticket_filter(
    query: ListTickets, matching_ids: list[str] | None, contact_ids: list[str] | None = None
) -> Doc:
    """The tickets filter of a queue page; `matching_ids` are the text search's hits,
    `contact_ids` the contacts of `query.contact_email`."""
    f: Doc = {}
    if query.departments is not None:
        f["department"] = {"$in": query.departments}
    if query.department is not None:
        f.setdefault("$and", []).append({"department": query.department})
    if query.status:
        f["status"] = {"$in": query.status}
    for key in ("channel", "contact_id", "thread", "number"):
        if (value := getattr(query, key)) is not None:
            f[key] = value
    if query.assignee == "none":
        f["assignee"] = None
    elif query.assignee is not None:
        f["assignee"] = query.assignee
    if query.tag:
        f["tags"] = query.tag
    if query.since or query.until:
        f["updated_ts"] = {
            **({"$gte": query.since.timestamp()} if query.since else {}),
            **({"$lt": query.until.timestamp()} if query.until else {}),
        }
    if query.timer_before:
        f["timer_ts"] = {"$ne": None, "$lte": query.timer_before.timestamp()}
    if matching_ids is not None:
        f["_id"] = {"$in": matching_ids}
    if contact_ids is not None:
        f.setdefault("$and", []).append({"contact_id": {"$in": contact_ids}})
    if query.cursor and query.order == "recent":
        ts, last_id = paging.decode_cursor(query.cursor)
        f.setdefault("$and", []).append(
            {"$or": [{"updated_ts": {"$lt": ts}}, {"updated_ts": ts, "_id": {"$lt": last_id}}]}
        )
    return f


TICKET_ORDER = [("updated_ts", DESCENDING), ("_id", DESCENDING)]
QUEUE_ORDER = [("priority_rank", DESCENDING), ("created_ts", ASCENDING), ("_id", ASCENDING)]
