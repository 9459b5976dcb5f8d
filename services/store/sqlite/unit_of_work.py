"""SQLite writes and reads inside one transaction: the store's UnitOfWork on SQLite."""

import json
import sqlite3
from collections.abc import Sequence

from contracts.tickets import ContactView, MessageView, TicketView
from services.store import rules
from services.store.errors import Conflict
from services.store.records import AuditEntry, OutboxEntry

TAG_SEP = "\x1f"


def ticket_row(t: TicketView) -> tuple[object, ...]:
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
        t.model_dump_json(),
    )


class SqliteUnitOfWork:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _one(self, sql: str, *params: object) -> str | None:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    async def contact_by_identity(self, identity: str) -> ContactView | None:
        doc = self._one(
            "SELECT c.doc FROM contact_identities i JOIN contacts c ON c.id = i.contact_id "
            "WHERE i.identity = ?",
            identity,
        )
        return ContactView.model_validate_json(doc) if doc else None

    async def get_contact(self, contact_id: str) -> ContactView | None:
        doc = self._one("SELECT doc FROM contacts WHERE id = ?", contact_id)
        return ContactView.model_validate_json(doc) if doc else None

    async def save_contact(self, contact: ContactView, *, new: bool) -> None:
        self.conn.execute(
            "INSERT INTO contacts (id, doc) VALUES (?, ?) "
            "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
            (contact.id, contact.model_dump_json()),
        )
        if new:
            self.conn.executemany(
                "INSERT INTO contact_identities VALUES (?, ?)",
                [(i, contact.id) for i in contact.identities],
            )

    async def get_ticket(self, ticket_id: str) -> TicketView | None:
        doc = self._one("SELECT doc FROM tickets WHERE id = ?", ticket_id)
        return TicketView.model_validate_json(doc) if doc else None

    async def live_ticket(self, thread: str) -> TicketView | None:
        doc = self._one("SELECT doc FROM tickets WHERE thread = ? AND status != 'closed'", thread)
        return TicketView.model_validate_json(doc) if doc else None

    async def latest_ticket(self, thread: str) -> TicketView | None:
        doc = self._one(
            "SELECT doc FROM tickets WHERE thread = ? ORDER BY created_ts DESC LIMIT 1", thread
        )
        return TicketView.model_validate_json(doc) if doc else None

    async def next_ticket_number(self) -> int:
        # Safe without a counter row: BEGIN IMMEDIATE makes this transaction the only writer.
        row = self.conn.execute("SELECT coalesce(max(number), 0) + 1 FROM tickets").fetchone()
        return int(row[0])

    async def insert_ticket(self, ticket: TicketView, search_text: str = "") -> None:
        self.conn.execute(
            "INSERT INTO tickets (id, number, thread, status, priority, department, assignee, "
            "channel, contact_id, tags, created_ts, updated_ts, version, doc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ticket.id, ticket.number, *ticket_row(ticket)),
        )
        self._index(ticket.id, None, rules.search_text(ticket.subject, search_text))

    async def update_ticket(self, ticket: TicketView) -> None:
        cursor = self.conn.execute(
            "UPDATE tickets SET thread = ?, status = ?, priority = ?, department = ?, "
            "assignee = ?, channel = ?, contact_id = ?, tags = ?, created_ts = ?, "
            "updated_ts = ?, version = ?, doc = ? WHERE id = ? AND version = ?",
            (*ticket_row(ticket), ticket.id, ticket.version - 1),
        )
        if cursor.rowcount != 1:
            raise Conflict(f"ticket {ticket.number} changed meanwhile", "expected_version")

    async def message_by_dedupe(self, key: str) -> MessageView | None:
        doc = self._one("SELECT doc FROM messages WHERE dedupe_key = ?", key)
        return MessageView.model_validate_json(doc) if doc else None

    async def get_message(self, message_id: str) -> MessageView | None:
        doc = self._one("SELECT doc FROM messages WHERE id = ?", message_id)
        return MessageView.model_validate_json(doc) if doc else None

    async def get_messages(self, ticket_id: str) -> list[MessageView]:
        rows = self.conn.execute(
            "SELECT doc FROM messages WHERE ticket_id = ? ORDER BY seq", (ticket_id,)
        ).fetchall()
        return [MessageView.model_validate_json(r[0]) for r in rows]

    async def insert_message(
        self, message: MessageView, *, dedupe_key: str | None, search_text: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO messages (id, ticket_id, dedupe_key, doc) VALUES (?, ?, ?, ?)",
            (message.id, message.ticket_id, dedupe_key, message.model_dump_json()),
        )
        self._index(message.ticket_id, message.id, search_text)

    def _index(self, ticket_id: str, message_id: str | None, text: str) -> None:
        if text:
            self.conn.execute(
                "INSERT INTO search (content, ticket_id, message_id) VALUES (?, ?, ?)",
                (text, ticket_id, message_id),
            )

    async def update_message(self, message: MessageView) -> None:
        self.conn.execute(
            "UPDATE messages SET doc = ?, ticket_id = ? WHERE id = ?",
            (message.model_dump_json(), message.ticket_id, message.id),
        )

    async def move_messages(self, message_ids: Sequence[str], ticket_id: str) -> None:
        for message_id in message_ids:
            message = await self.get_message(message_id)
            if message is not None:
                await self.update_message(message.model_copy(update={"ticket_id": ticket_id}))
        self.conn.executemany(
            "UPDATE search SET ticket_id = ? WHERE message_id = ?",
            [(ticket_id, m) for m in message_ids],
        )

    async def add_outbox(self, entries: Sequence[OutboxEntry]) -> None:
        self.conn.executemany(
            "INSERT INTO outbox (id, kind, subject, msg_id, payload, created_ts) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (e.id, e.kind, e.subject, e.msg_id, e.payload, e.created_at.timestamp())
                for e in entries
            ],
        )

    async def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        self.conn.executemany(
            "INSERT INTO audit (id, ticket_id, actor, action, detail, at_ts) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    e.id,
                    e.ticket_id,
                    e.actor,
                    e.action,
                    json.dumps(e.detail, ensure_ascii=False, default=str),
                    e.at.timestamp(),
                )
                for e in entries
            ],
        )
