"""The store's UnitOfWork on SQLite: an identity map in front, a write buffer behind.

A batch of 500 inbound messages would otherwise cost ~7 statements each. `prefetch` loads
what the batch will ask for (dedupe keys, contacts, its threads' tickets) in three queries;
reads are then answered from memory, and writes are buffered and sent with `executemany`
on `flush`. Any read the map cannot answer flushes first, so SQL always sees every write.
"""

import sqlite3
import time
from collections.abc import Iterable, Sequence

from pydantic import TypeAdapter

from contracts.messages import InboundMessage
from contracts.tickets import ContactView, MessageView, TicketView
from services.store import rules
from services.store.records import AuditEntry, OutboxBatch
from services.store.sqlite import decoded
from services.store.sqlite.writes import WriteBuffer

MESSAGES = TypeAdapter(list[MessageView])


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqliteUnitOfWork:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.writes = WriteBuffer(conn)
        self.tickets: dict[str, TicketView] = {}
        self.threads: dict[str, list[str]] = {}  # thread -> ticket ids, oldest first
        self.contacts: dict[str, ContactView | None] = {}  # by identity
        self.by_dedupe: dict[str, MessageView | None] = {}
        self.max_number: int | None = None
        self.inserted: set[str] = set()  # messages new in this unit: nothing to re-index

    def _one(self, sql: str, *params: object) -> str | None:
        self.writes.flush()
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def _in(self, sql: str, keys: list[str]) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows += self.conn.execute(sql.format(marks=marks), chunk).fetchall()
        return rows

    async def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        self.writes.flush()
        keys = [m.dedupe_key for m in messages if m.dedupe_key not in self.by_dedupe]
        found = dict(
            self._in("SELECT dedupe_key, doc FROM messages WHERE dedupe_key IN ({marks})", keys)
        )
        for key in keys:
            self.by_dedupe[key] = (
                MessageView.model_validate_json(found[key]) if key in found else None
            )
        who = [rules.identity(m.channel, m.sender.channel_user_id) for m in messages]
        who = [i for i in dict.fromkeys(who) if i not in self.contacts]
        contacts = self._in(
            "SELECT i.identity, c.doc FROM contact_identities i JOIN contacts c "
            "ON c.id = i.contact_id WHERE i.identity IN ({marks})",
            who,
        )
        self.contacts.update(dict.fromkeys(who))
        self.contacts.update((i, decoded.contact(doc)) for i, doc in contacts)
        threads = [rules.thread_key(m.channel, m.account, m.thread_key) for m in messages]
        threads = [t for t in dict.fromkeys(threads) if t not in self.threads]
        for thread in threads:
            self.threads[thread] = []
        rows = self._in(
            "SELECT thread, doc FROM tickets WHERE thread IN ({marks}) ORDER BY created_ts", threads
        )
        for thread, doc in rows:
            self._remember(decoded.ticket(doc), thread, stored=True)

    def _remember(self, ticket: TicketView, thread: str, *, stored: bool) -> None:
        self.tickets[ticket.id] = ticket
        ids = self.threads.setdefault(thread, [])
        if ticket.id not in ids:
            ids.append(ticket.id)
        if stored:
            self.writes.loaded(ticket)

    async def contact_by_identity(self, identity: str) -> ContactView | None:
        if identity not in self.contacts:
            doc = self._one(
                "SELECT c.doc FROM contact_identities i JOIN contacts c ON c.id = i.contact_id "
                "WHERE i.identity = ?",
                identity,
            )
            self.contacts[identity] = decoded.contact(doc) if doc else None
        return self.contacts[identity]

    async def get_contact(self, contact_id: str) -> ContactView | None:
        doc = self._one("SELECT doc FROM contacts WHERE id = ?", contact_id)
        return decoded.contact(doc) if doc else None

    async def contact_known_in(self, contact_id: str, departments: list[str]) -> bool:
        if not departments:
            return False
        marks = ",".join("?" * len(departments))
        found = self._one(
            f"SELECT 1 FROM tickets WHERE contact_id = ? AND department IN ({marks}) LIMIT 1",  # noqa: S608
            contact_id,
            *departments,
        )
        return found is not None

    async def save_contact(self, contact: ContactView, *, new: bool) -> None:
        self.contacts.update((i, contact) for i in contact.identities)
        self.writes.contact(contact, new=new)

    async def ticket_by_number(self, number: int) -> TicketView | None:
        found = next((t for t in self.tickets.values() if t.number == number), None)
        if found is not None:
            return found
        ticket_id = self._one("SELECT id FROM tickets WHERE number = ?", number)
        return await self.get_ticket(ticket_id) if ticket_id else None

    async def get_ticket(self, ticket_id: str) -> TicketView | None:
        if ticket_id not in self.tickets:
            doc = self._one("SELECT doc FROM tickets WHERE id = ?", ticket_id)
            if doc is None:
                return None
            ticket = decoded.ticket(doc)
            self._remember(ticket, rules.thread_of(ticket), stored=True)
        return self.tickets[ticket_id]

    async def _thread(self, thread: str) -> list[TicketView]:
        if thread not in self.threads:
            self.writes.flush()
            self.threads[thread] = []
            rows = self.conn.execute(
                "SELECT doc FROM tickets WHERE thread = ? ORDER BY created_ts", (thread,)
            )
            for (doc,) in rows.fetchall():
                self._remember(decoded.ticket(doc), thread, stored=True)
        return [self.tickets[i] for i in self.threads[thread]]

    async def live_ticket(self, thread: str) -> TicketView | None:
        return next((t for t in await self._thread(thread) if t.status != "closed"), None)

    async def latest_ticket(self, thread: str) -> TicketView | None:
        tickets = await self._thread(thread)
        return tickets[-1] if tickets else None

    async def next_ticket_number(self) -> int:
        # Safe without a counter row: BEGIN IMMEDIATE makes this transaction the only writer.
        if self.max_number is None:
            self.max_number = int(self._one("SELECT coalesce(max(number), 0) FROM tickets") or 0)
        self.max_number += 1
        return self.max_number

    async def insert_ticket(self, ticket: TicketView) -> None:
        self._remember(ticket, rules.thread_of(ticket), stored=False)
        self.writes.new_ticket(ticket)

    async def update_ticket(self, ticket: TicketView) -> None:
        self.tickets[ticket.id] = ticket
        self.writes.changed_ticket(ticket)

    async def message_by_dedupe(self, key: str) -> MessageView | None:
        if key not in self.by_dedupe:
            doc = self._one("SELECT doc FROM messages WHERE dedupe_key = ?", key)
            self.by_dedupe[key] = MessageView.model_validate_json(doc) if doc else None
        return self.by_dedupe[key]

    async def get_message(self, message_id: str) -> MessageView | None:
        doc = self._one("SELECT doc FROM messages WHERE id = ?", message_id)
        return MessageView.model_validate_json(doc) if doc else None

    async def get_messages(self, ticket_id: str) -> list[MessageView]:
        self.writes.flush()
        rows = self.conn.execute(
            "SELECT doc FROM messages WHERE ticket_id = ? ORDER BY seq", (ticket_id,)
        ).fetchall()
        # One call into pydantic for the whole conversation: per-message calls cost 3x more.
        return MESSAGES.validate_json(f"[{','.join(r[0] for r in rows)}]")

    async def insert_message(self, message: MessageView, *, dedupe_key: str | None) -> None:
        if dedupe_key is not None:
            self.by_dedupe[dedupe_key] = message
        self.inserted.add(message.id)
        self.writes.new_message(message, dedupe_key)

    async def name_message(self, message_id: str, key: str) -> None:
        self.writes.flush()
        self.conn.execute("UPDATE messages SET dedupe_key = ? WHERE id = ?", (key, message_id))
        self.by_dedupe.pop(key, None)

    async def hold_receipt(self, key: str, report: str) -> None:
        self.writes.flush()
        self.conn.execute(
            "INSERT INTO receipts (key, doc, at_ts) VALUES (?, ?, ?)", (key, report, time.time())
        )

    async def held_receipts(self, key: str) -> list[str]:
        self.writes.flush()
        rows = self.conn.execute(
            "DELETE FROM receipts WHERE key = ? RETURNING doc, at_ts", (key,)
        ).fetchall()
        return [doc for doc, _ in sorted(rows, key=lambda row: float(row[1]))]

    async def index_search(self, ticket_id: str, message_id: str | None, text: str) -> None:
        if message_id is not None and message_id not in self.inserted:
            self.writes.flush()
            self.conn.execute("DELETE FROM search WHERE message_id = ?", (message_id,))
        if text:
            self.writes.search(text, ticket_id, message_id)

    async def update_message(self, message: MessageView) -> None:
        self.writes.flush()
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

    async def add_outbox(self, batch: OutboxBatch) -> None:
        self.writes.outbox(batch)

    async def mark_published(self, ids: Sequence[str]) -> None:
        self.writes.published(ids)

    async def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        self.writes.audit(entries)

    async def items(self, kind: str) -> list[str]:
        self.writes.flush()
        rows = self.conn.execute("SELECT doc FROM directory WHERE kind = ? ORDER BY seq", (kind,))
        return [doc for (doc,) in rows.fetchall()]

    async def put_item(
        self, kind: str, item_id: str, doc: str, *, email: str | None = None
    ) -> None:
        self.writes.flush()
        self.conn.execute(
            "INSERT INTO directory (kind, id, email, doc, seq) VALUES (?, ?, ?, ?, "
            "(SELECT coalesce(max(seq), 0) + 1 FROM directory)) "
            "ON CONFLICT(kind, id) DO UPDATE SET email = excluded.email, doc = excluded.doc",
            (kind, item_id, email, doc),
        )

    async def delete_item(self, kind: str, item_id: str) -> bool:
        self.writes.flush()
        cursor = self.conn.execute(
            "DELETE FROM directory WHERE kind = ? AND id = ?", (kind, item_id)
        )
        return cursor.rowcount > 0

    async def set_secret(self, item_id: str, secret: str) -> None:
        self.writes.flush()
        self.conn.execute(
            "UPDATE directory SET secret = ? WHERE kind = 'agent' AND id = ?", (secret, item_id)
        )

    def flush(self) -> None:
        self.writes.flush()

    def changes(self) -> int:
        """Rows changed so far, by SQLite's own count (see TellsChanges)."""
        self.writes.flush()
        return self.conn.total_changes
