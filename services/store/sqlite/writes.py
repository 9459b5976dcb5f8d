"""Buffered SQLite writes of one unit of work, sent with `executemany` in dependency order.

A ticket changed several times in one batch is written once, guarded by the version it had
when it was read: if another writer changed it meanwhile, the UPDATE matches nothing and the
whole transaction is retried (Conflict).
"""

import json
import sqlite3
import time
from collections.abc import Sequence

from contracts.tickets import ContactView, MessageView, TicketView
from services.store import rules
from services.store.errors import Conflict
from services.store.records import AuditEntry, OutboxBatch
from services.store.sqlite import decoded

TAG_SEP = "\x1f"
TICKET_COLUMNS = (
    "thread, status, priority, department, assignee, channel, contact_id, tags, "
    "created_ts, updated_ts, version, timer_ts, doc"
)


COLUMN_NAMES = tuple(col.strip() for col in TICKET_COLUMNS.split(","))
# Set on every update: the version guards it, the document always changes, and so does the
# time of the last change.
ALWAYS_SET = frozenset(COLUMN_NAMES.index(c) for c in ("updated_ts", "version", "doc"))


def ticket_row(t: TicketView) -> tuple[object, ...]:
    return (*ticket_row_columns(t), decoded.ticket.encode(t))


def ticket_row_columns(t: TicketView) -> tuple[object, ...]:
    """The columns queries use, in `TICKET_COLUMNS` order, without the document."""
    tags = f"{TAG_SEP}{TAG_SEP.join(t.tags)}{TAG_SEP}" if t.tags else ""
    return (
        rules.thread_of(t),
        t.status,
        t.priority,
        t.department,
        t.assignee,
        t.channel,
        t.contact_id,
        tags,
        t.created_at.timestamp(),
        t.updated_at.timestamp(),
        t.version,
        t.timer_at.timestamp() if t.timer_at else None,
    )


class WriteBuffer:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.stored_versions: dict[str, int] = {}
        # As read: an UPDATE sets only the columns that differ, so indexes over columns a
        # change left alone (most of them, for a customer's next message) are not rewritten.
        self.stored: dict[str, TicketView] = {}
        self.contacts: dict[str, ContactView] = {}
        self.identities: list[tuple[str, str]] = []
        self.new_tickets: dict[str, TicketView] = {}
        self.changed: dict[str, TicketView] = {}
        self.messages: list[tuple[object, ...]] = []
        self.search_rows: list[tuple[object, ...]] = []
        self.outbox_rows: list[tuple[object, ...]] = []
        self.audit_rows: list[tuple[object, ...]] = []
        self.published_rows: list[tuple[object, ...]] = []

    def loaded(self, ticket: TicketView) -> None:
        if ticket.id not in self.stored_versions:
            self.stored_versions[ticket.id] = ticket.version
            self.stored[ticket.id] = ticket

    def contact(self, contact: ContactView, *, new: bool) -> None:
        self.contacts[contact.id] = contact
        if new:
            self.identities += [(i, contact.id) for i in contact.identities]

    def new_ticket(self, ticket: TicketView) -> None:
        self.new_tickets[ticket.id] = ticket

    def changed_ticket(self, ticket: TicketView) -> None:
        if ticket.id in self.new_tickets:
            self.new_tickets[ticket.id] = ticket
        else:
            self.changed[ticket.id] = ticket

    def new_message(self, message: MessageView, dedupe_key: str | None) -> None:
        self.messages.append((message.id, message.ticket_id, dedupe_key, message.model_dump_json()))

    def search(self, text: str, ticket_id: str, message_id: str | None) -> None:
        self.search_rows.append((text, ticket_id, message_id))

    def outbox(self, batch: OutboxBatch) -> None:
        if batch.entries:
            self.outbox_rows.append((batch.id, batch.to_bytes(), batch.created_at.timestamp()))

    def published(self, ids: Sequence[str]) -> None:
        now = time.time()
        self.published_rows += [(now, i) for i in ids]

    def audit(self, entries: Sequence[AuditEntry]) -> None:
        self.audit_rows += [
            (
                e.id,
                e.ticket_id,
                e.actor,
                e.action,
                json.dumps(e.detail, ensure_ascii=False, default=str),
                e.at.timestamp(),
            )
            for e in entries
        ]

    def flush(self) -> None:
        c = self.conn
        if self.contacts:
            c.executemany(
                "INSERT INTO contacts (id, doc) VALUES (?, ?) "
                "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                [(i, decoded.contact.encode(contact)) for i, contact in self.contacts.items()],
            )
            self.contacts.clear()
        if self.identities:
            c.executemany("INSERT INTO contact_identities VALUES (?, ?)", self.identities)
            self.identities.clear()
        if self.new_tickets:
            c.executemany(
                f"INSERT INTO tickets (id, number, {TICKET_COLUMNS}) "  # noqa: S608
                f"VALUES ({', '.join('?' * (TICKET_COLUMNS.count(',') + 3))})",
                [(t.id, t.number, *ticket_row(t)) for t in self.new_tickets.values()],
            )
            self.stored_versions.update((t.id, t.version) for t in self.new_tickets.values())
            self.stored.update(self.new_tickets)
            self.new_tickets.clear()
        if self.changed:
            self._update_tickets()
        for sql, rows in (
            (
                "INSERT INTO messages (id, ticket_id, dedupe_key, doc) VALUES (?, ?, ?, ?)",
                self.messages,
            ),
            (
                "INSERT INTO search (content, ticket_id, message_id) VALUES (?, ?, ?)",
                self.search_rows,
            ),
            ("INSERT INTO outbox (id, entries, created_ts) VALUES (?, ?, ?)", self.outbox_rows),
            ("UPDATE outbox SET published_ts = ? WHERE id = ?", self.published_rows),
            (
                "INSERT INTO audit (id, ticket_id, actor, action, detail, at_ts) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                self.audit_rows,
            ),
        ):
            if rows:
                c.executemany(sql, rows)
                rows.clear()

    def _update_tickets(self) -> None:
        tickets = list(self.changed.values())
        groups: dict[tuple[int, ...], list[tuple[object, ...]]] = {}
        for t in tickets:
            row = ticket_row(t)
            before = self.stored.get(t.id)
            old = _cheap_row(before) if before is not None else None
            changed = tuple(
                i for i in range(len(row)) if i in ALWAYS_SET or old is None or old[i] != row[i]
            )
            groups.setdefault(changed, []).append(
                (*(row[i] for i in changed), t.id, self.stored_versions[t.id])
            )
        matched = 0
        for changed, rows in groups.items():
            assignments = ", ".join(f"{COLUMN_NAMES[i]} = ?" for i in changed)
            cursor = self.conn.executemany(
                f"UPDATE tickets SET {assignments} WHERE id = ? AND version = ?",  # noqa: S608
                rows,
            )
            matched += cursor.rowcount
        if matched != len(tickets):
            raise Conflict("a ticket changed meanwhile", "expected_version")
        self.stored_versions.update((t.id, t.version) for t in tickets)
        self.stored.update((t.id, t) for t in tickets)
        self.changed.clear()


def _cheap_row(t: TicketView) -> tuple[object, ...]:
    """`ticket_row` without the document, which always changes and is costly to encode."""
    return (*ticket_row_columns(t), None)
