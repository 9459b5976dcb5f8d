"""The report tables, in the reports service's own SQLite file: what `fold` produced, written
with the EVENTS stream position in the same transaction (a batch seen again after a crash is
skipped, so every figure counts each event once).
"""

import json
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from services.reports.fold import Account, RatingRow, Row, SlaOutcome, Timing, Volume
from services.reports.online import Seen

SCHEMA = """
CREATE TABLE IF NOT EXISTS position (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, channel TEXT NOT NULL, department TEXT,
    assignee TEXT, created REAL NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_waiting ON accounts(status, created);
CREATE TABLE IF NOT EXISTS volume (
    bucket INTEGER NOT NULL, channel TEXT NOT NULL, department TEXT NOT NULL,
    agent TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (bucket, channel, department, agent, kind)
) WITHOUT ROWID;
-- The same counts without channel and agent: what a page asks for most, read in a fraction.
CREATE TABLE IF NOT EXISTS volume_departments (
    bucket INTEGER NOT NULL, department TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (bucket, department, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timings (
    ticket_id TEXT NOT NULL, kind TEXT NOT NULL, at REAL NOT NULL, channel TEXT NOT NULL,
    department TEXT NOT NULL, agent TEXT NOT NULL, wall REAL NOT NULL, business REAL NOT NULL
);
-- Covering indexes: a month's page reads them alone, never the rows (about 2x faster at 1M).
CREATE INDEX IF NOT EXISTS timings_cover
    ON timings(at, department, agent, channel, kind, business);
CREATE TABLE IF NOT EXISTS sla (
    ticket_id TEXT NOT NULL, target TEXT NOT NULL, at REAL NOT NULL, department TEXT NOT NULL,
    agent TEXT NOT NULL, met INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sla_cover ON sla(at, department, agent, target, met);
CREATE TABLE IF NOT EXISTS ratings (
    ticket_id TEXT NOT NULL, asked_at TEXT NOT NULL, at REAL NOT NULL, channel TEXT NOT NULL,
    department TEXT NOT NULL, agent TEXT NOT NULL, score INTEGER,
    PRIMARY KEY (ticket_id, asked_at)
);
CREATE INDEX IF NOT EXISTS ratings_cover ON ratings(at, department, agent, channel, score);
CREATE TABLE IF NOT EXISTS online (
    bucket INTEGER NOT NULL, agent TEXT NOT NULL, seconds REAL NOT NULL,
    PRIMARY KEY (bucket, agent)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS presence (
    agent TEXT PRIMARY KEY, status TEXT NOT NULL, at REAL NOT NULL
);
"""
TABLES = ("position", "accounts", "volume", "volume_departments", "timings", "sla", "ratings")
# Presence is not on the stream: a rebuild keeps what heartbeats gave (`online`, `presence`).


CACHED = 50_000  # accounts of recent tickets kept in memory (a few hundred bytes each)


class Tables:
    def __init__(self, path: Path) -> None:
        self.cache: OrderedDict[str, Account] = OrderedDict()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        # 64 MB of pages: a month of a busy desk's tables is some hundred MB, and the B-trees
        # every batch writes into must stay in memory (with SQLite's 2 MB default, folding an
        # event cost three times as much at a million messages as at fifty thousand).
        self.db.execute("PRAGMA cache_size=-65536")
        self.db.execute("PRAGMA temp_store=MEMORY")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def position(self) -> int:
        found = self.db.execute("SELECT seq FROM position WHERE id = 1").fetchone()
        return int(found[0]) if found else 0

    def clear(self) -> None:
        """Empty every table (a rebuild from the start of the stream follows)."""
        self.cache.clear()
        self.db.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            self.db.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
        self.db.execute("COMMIT")

    def accounts(self, ids: Iterable[str]) -> dict[str, Account]:
        found: dict[str, Account] = {}
        wanted = []
        for ticket_id in dict.fromkeys(ids):
            cached = self.cache.get(ticket_id)
            if cached is None:
                wanted.append(ticket_id)
            else:  # a copy: the fold changes it, and a failed write must not leave that here
                found[ticket_id] = replace(
                    cached, asked=list(cached.asked), unrouted=list(cached.unrouted)
                )
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT doc FROM accounts WHERE id IN ({marks})"  # noqa: S608
            for (doc,) in self.db.execute(sql, chunk):
                account = Account(**json.loads(doc))
                found[account.id] = account
        return found

    def write(self, seq: int, accounts: Sequence[Account], rows: Sequence[Row]) -> None:
        """Everything a batch of events produced, and the stream position after it, at once."""
        c = self.db
        c.execute("BEGIN IMMEDIATE")
        try:
            c.executemany(
                "INSERT OR REPLACE INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?)",
                [_account_row(a) for a in accounts],
            )
            volume = [
                (r.bucket, r.channel, r.department, r.agent, r.kind)
                for r in rows
                if isinstance(r, Volume)
            ]
            c.executemany(
                "INSERT INTO volume VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET n = n + 1",
                volume,
            )
            c.executemany(
                "INSERT INTO volume_departments VALUES (?, ?, ?, 1) "
                "ON CONFLICT DO UPDATE SET n = n + 1",
                [(b, department, kind) for b, _, department, _, kind in volume],
            )
            c.executemany(
                "INSERT INTO timings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [tuple(vars(r).values()) for r in rows if isinstance(r, Timing)],
            )
            c.executemany(
                "INSERT INTO sla VALUES (?, ?, ?, ?, ?, ?)",
                [tuple(vars(r).values()) for r in rows if isinstance(r, SlaOutcome)],
            )
            for r in (r for r in rows if isinstance(r, RatingRow)):
                c.execute(
                    "INSERT INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                    "score = COALESCE(excluded.score, score), at = excluded.at",
                    tuple(vars(r).values()),
                )
            c.execute("INSERT OR REPLACE INTO position VALUES (1, ?)", (seq,))
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")
        for account in accounts:
            self.cache[account.id] = account
            self.cache.move_to_end(account.id)
        while len(self.cache) > CACHED:
            self.cache.popitem(last=False)

    def seen(self) -> dict[str, Seen]:
        return {a: Seen(s, at) for a, s, at in self.db.execute("SELECT * FROM presence")}

    def beat(self, agent: str, seen: Seen, pieces: Sequence[tuple[int, float]]) -> None:
        """An agent's heartbeat and the online time it adds, at once."""
        c = self.db
        c.execute("BEGIN IMMEDIATE")
        c.executemany(
            "INSERT INTO online VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET seconds = seconds + ?",
            [(bucket, agent, seconds, seconds) for bucket, seconds in pieces],
        )
        c.execute("INSERT OR REPLACE INTO presence VALUES (?, ?, ?)", (agent, seen.status, seen.at))
        c.execute("COMMIT")

    def select(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.db.execute(sql, params))


def _account_row(a: Account) -> tuple[object, ...]:
    doc = json.dumps(a.to_dict())
    return (a.id, a.status, a.channel, a.department, a.assignee, a.created, doc)
