"""The SQLite repository: one connection, one writer transaction at a time (BEGIN IMMEDIATE).

Calls are synchronous on the event loop on purpose: a local WAL write takes microseconds,
and a whole inbound batch is one transaction, so a worker thread per call would only add
overhead. Two store processes on the same file serialize through SQLite's write lock.
"""

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contracts.queries import Counts, ListTickets, TicketPage
from contracts.tickets import ContactView, MessageView, TicketView
from services.store import paging, rules
from services.store.errors import LostRace
from services.store.records import AuditEntry, OutboxBatch
from services.store.sqlite.checkpoint import Checkpointer
from services.store.sqlite.schema import (
    ADDED_COLUMNS,
    LATE_INDEXES,
    PRAGMAS,
    READER_PRAGMAS,
    SCHEMA,
)
from services.store.sqlite.unit_of_work import SqliteUnitOfWork

QUEUE_ORDER = (
    "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, "
    "created_ts, id"
)


class SqliteRepository:
    batches_commands = True

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.db: sqlite3.Connection | None = None
        # One connection: a second transaction must wait for the first to commit.
        self.lock = asyncio.Lock()
        self.checkpoints = Checkpointer(self.path)
        # Ticket lists and searches read through a connection of their own, in a thread: a
        # search over millions of messages never holds the event loop, so ingestion and
        # commands go on meanwhile (WAL lets a reader and the writer work at once).
        self.reader: sqlite3.Connection | None = None
        self.reading = asyncio.Lock()

    @property
    def conn(self) -> sqlite3.Connection:
        if self.db is None:
            raise RuntimeError("call setup() first")
        return self.db

    async def setup(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in PRAGMAS:
            self.db.execute(pragma)
        self.db.executescript(SCHEMA)
        for table, column, kind in ADDED_COLUMNS:
            present = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        for index in LATE_INDEXES:
            self.db.execute(index)
        self.db.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's job
        self.reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in (*READER_PRAGMAS, "PRAGMA query_only=ON"):
            self.reader.execute(pragma)
        self.checkpoints.start()

    async def close(self) -> None:
        await self.checkpoints.stop()
        async with self.reading:  # a search still running in its thread finishes first
            if self.reader is not None:
                self.reader.close()
                self.reader = None
        if self.db is not None:
            self.db.close()
            self.db = None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteUnitOfWork]:
        conn = self.conn
        async with self.lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                uow = SqliteUnitOfWork(conn)
                yield uow
                uow.flush()
            except sqlite3.IntegrityError as error:
                conn.execute("ROLLBACK")
                raise LostRace(str(error)) from error
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    async def list_tickets(self, query: ListTickets) -> TicketPage:
        where: list[str] = ["1=1"]
        params: list[Any] = []
        if query.departments is not None:
            where.append(f"department IN ({','.join('?' * len(query.departments))})")
            params += query.departments
        if query.status:
            where.append(f"status IN ({','.join('?' * len(query.status))})")
            params += query.status
        for column, value in (
            ("department", query.department),
            ("channel", query.channel),
            ("contact_id", query.contact_id),
            ("thread", query.thread),
            ("number", query.number),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if query.contact_email is not None:
            where.append(
                "contact_id IN (SELECT contact_id FROM contact_identities WHERE identity = ? "
                "UNION SELECT id FROM contacts WHERE lower(json_extract(doc, '$.email')) = ?)"
            )
            address = query.contact_email.strip().lower()
            params += [rules.identity("email", address), address]
        if query.assignee == "none":
            where.append("assignee IS NULL")
        elif query.assignee is not None:
            where.append("assignee = ?")
            params.append(query.assignee)
        if query.tag:
            where.append("instr(tags, ?) > 0")
            params.append(f"\x1f{query.tag}\x1f")
        if query.since:
            where.append("updated_ts >= ?")
            params.append(query.since.timestamp())
        if query.until:
            where.append("updated_ts < ?")
            params.append(query.until.timestamp())
        if query.timer_before:
            where.append("timer_ts IS NOT NULL AND timer_ts <= ?")
            params.append(query.timer_before.timestamp())
        if query.q and (terms := paging.search_terms(query.q)):
            where.append(self._search_clause(terms, params))
        if query.cursor and query.order == "recent":
            ts, last_id = paging.decode_cursor(query.cursor)
            where.append("(updated_ts < ? OR (updated_ts = ? AND id < ?))")
            params += [ts, ts, last_id]
        order = "updated_ts DESC, id DESC" if query.order == "recent" else QUEUE_ORDER
        sql = (
            f"SELECT doc, updated_ts, id FROM tickets WHERE {' AND '.join(where)} "  # noqa: S608
            f"ORDER BY {order} LIMIT ?"
        )
        rows = await self._read(sql, [*params, query.limit + 1])
        items = [TicketView.model_validate_json(r[0]) for r in rows[: query.limit]]
        cursor = None
        if len(rows) > query.limit and query.order == "recent":
            last = rows[query.limit - 1]
            cursor = paging.encode_cursor(last[1], last[2])
        return TicketPage(items=items, next_cursor=cursor)

    @staticmethod
    def _search_clause(terms: list[str], params: list[Any]) -> str:
        """The words found together in one message (or the ticket's subject and contact).
        Words of three letters or more go through the trigram index; shorter ones are only
        checked within the rows those found, so a query of short words costs at most one
        scan, never one per word. Rows are appended in time order: the highest rowids are
        the newest matches, and at most SEARCH_WINDOW of them are looked at."""
        long_terms = [t for t in terms if len(t) >= paging.TRIGRAM]
        short_terms = [t for t in terms if len(t) < paging.TRIGRAM]
        if long_terms:
            found = "SELECT rowid FROM search WHERE search MATCH ? ORDER BY rowid DESC LIMIT ?"
            params += [paging.fts_query(long_terms), paging.SEARCH_WINDOW]
        else:
            found = "SELECT rowid FROM search WHERE content LIKE ? ORDER BY rowid DESC LIMIT ?"
            params += [f"%{short_terms.pop(0)}%", paging.SEARCH_WINDOW]
        also = "".join(" AND content LIKE ?" for _ in short_terms)
        params += [f"%{t}%" for t in short_terms]
        # Only fixed SQL and placeholders are put together here; every value is a parameter.
        return f"id IN (SELECT ticket_id FROM search WHERE rowid IN ({found}){also})"  # noqa: S608

    async def _read(self, sql: str, params: list[Any]) -> list[Any]:
        async with self.reading:
            reader = self.reader
            if reader is None:
                raise RuntimeError("call setup() first")
            return await asyncio.to_thread(lambda: reader.execute(sql, params).fetchall())

    async def ticket(self, ticket_id: str) -> TicketView | None:
        return await SqliteUnitOfWork(self.conn).get_ticket(ticket_id)

    async def contact(self, contact_id: str) -> ContactView | None:
        return await SqliteUnitOfWork(self.conn).get_contact(contact_id)

    async def messages(self, ticket_id: str) -> list[MessageView]:
        return await SqliteUnitOfWork(self.conn).get_messages(ticket_id)

    async def messages_json(self, ticket_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT doc FROM messages WHERE ticket_id = ? ORDER BY seq", (ticket_id,)
        ).fetchall()
        return [str(r[0]) for r in rows]

    async def counts(self, departments: list[str] | None) -> Counts:
        rows = self.conn.execute(
            "SELECT coalesce(department, ''), status, count(*), "
            "sum(assignee IS NULL AND status IN ('open', 'pending')) "
            "FROM tickets WHERE status != 'closed' GROUP BY 1, 2"
        ).fetchall()
        counts = Counts()
        for dept, status, n, unassigned in rows:
            if departments is not None and dept not in departments:
                continue
            counts.by_status.setdefault(dept, {})[status] = n
            counts.unassigned[dept] = counts.unassigned.get(dept, 0) + (unassigned or 0)
        return counts

    async def audit(self, ticket_id: str) -> list[AuditEntry]:
        rows = self.conn.execute(
            "SELECT id, actor, action, detail, at_ts FROM audit WHERE ticket_id = ? ORDER BY seq",
            (ticket_id,),
        ).fetchall()
        return [
            AuditEntry(
                ticket_id, actor, action, json.loads(detail), i, datetime.fromtimestamp(t, UTC)
            )
            for i, actor, action, detail, t in rows
        ]

    async def items(self, kind: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT doc FROM directory WHERE kind = ? ORDER BY seq", (kind,)
        ).fetchall()
        return [doc for (doc,) in rows]

    async def credentials(self, email: str) -> tuple[str, str | None] | None:
        row = self.conn.execute(
            "SELECT doc, secret FROM directory WHERE kind = 'agent' AND email = ?", (email,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    async def pending_outbox(self, limit: int, older_than: float) -> list[OutboxBatch]:
        rows = self.conn.execute(
            "SELECT id, entries, created_ts FROM outbox "
            "WHERE published_ts IS NULL AND created_ts <= ? ORDER BY seq LIMIT ?",
            (older_than, limit),
        ).fetchall()
        return [OutboxBatch.from_bytes(e, i, datetime.fromtimestamp(t, UTC)) for i, e, t in rows]

    async def mark_published(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        now = time.time()
        async with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "UPDATE outbox SET published_ts = ? WHERE id = ?", [(now, i) for i in ids]
            )
            self.conn.execute("COMMIT")
