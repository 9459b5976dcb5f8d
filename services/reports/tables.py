"""The report tables, in the reports service's own SQLite file: what `fold` produced, written
with the EVENTS stream position in the same transaction (a batch seen again after a crash is
skipped, so every figure counts each event once).
"""

import json
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from services.reports import rollups, upgrade
from services.reports.fold import Account, RatingRow, Row, SlaOutcome, Timing
from services.reports.online import Seen
from services.reports.rollups import (
    ADD_RATING_DAYS,
    ADD_TIMING_DAYS,
    ADD_TIMING_DEPARTMENTS,
    Rating,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS position (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
-- Each ticket's running totals (fold.Account, its fields in order). Numbered as tickets first
-- appear, so the accounts a batch updates lie close together (a primary key on the random
-- ticket id had each batch rewrite pages all over the table).
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT NOT NULL UNIQUE, channel TEXT NOT NULL, created REAL NOT NULL, since REAL NOT NULL,
    status TEXT NOT NULL, department TEXT, assignee TEXT, business REAL NOT NULL,
    wall REAL NOT NULL, responded INTEGER NOT NULL, counted INTEGER NOT NULL,
    asked TEXT NOT NULL, unrouted TEXT NOT NULL, n INTEGER PRIMARY KEY
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
    agent TEXT NOT NULL, met INTEGER NOT NULL, channel TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sla_reads ON sla(at, department, agent, channel, target, met);
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
-- Sums of the rows above (services/reports/rollups.py): hours of volume, whole UTC days of
-- the rest. `timing_days.business` holds the day's working times as packed float64.
CREATE TABLE IF NOT EXISTS volume_hours (
    hour INTEGER NOT NULL, department TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (hour, department, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timing_days (
    day INTEGER NOT NULL, department TEXT NOT NULL, agent TEXT NOT NULL, channel TEXT NOT NULL,
    kind TEXT NOT NULL, n INTEGER NOT NULL, business BLOB NOT NULL,
    PRIMARY KEY (day, department, agent, channel, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timing_departments (
    day INTEGER NOT NULL, department TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL,
    business BLOB NOT NULL,
    PRIMARY KEY (day, department, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sla_days (
    day INTEGER NOT NULL, department TEXT NOT NULL, agent TEXT NOT NULL, channel TEXT NOT NULL,
    target TEXT NOT NULL, met INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (day, department, agent, channel, target)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rating_days (
    day INTEGER NOT NULL, channel TEXT NOT NULL, department TEXT NOT NULL, agent TEXT NOT NULL,
    asked INTEGER NOT NULL, rated INTEGER NOT NULL, total INTEGER NOT NULL,
    score_1 INTEGER NOT NULL, score_2 INTEGER NOT NULL, score_3 INTEGER NOT NULL,
    score_4 INTEGER NOT NULL, score_5 INTEGER NOT NULL,
    PRIMARY KEY (day, channel, department, agent)
) WITHOUT ROWID;
"""
ROWS = ("position", "accounts", "volume", "volume_departments", "timings", "sla", "ratings")
SUMS = ("volume_hours", "timing_days", "timing_departments", "sla_days", "rating_days")
TABLES = ROWS + SUMS
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
        upgrade.before_schema(self.db)
        self.db.executescript(SCHEMA)
        upgrade.after_schema(self.db)
        self.next_n = self._next_n()

    def close(self) -> None:
        self.db.close()

    def _next_n(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM accounts").fetchone()[0])

    def forget(self) -> None:
        """Drop the cached accounts: a batch failed after folding changed some of them."""
        self.cache.clear()
        self.next_n = self._next_n()

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
        self.next_n = 1

    def accounts(self, ids: Iterable[str]) -> dict[str, Account]:
        found: dict[str, Account] = {}
        wanted = []
        for ticket_id in dict.fromkeys(ids):
            cached = self.cache.get(ticket_id)
            if cached is None:
                wanted.append(ticket_id)
            else:  # the fold changes it in place: `forget` after a batch that failed
                found[ticket_id] = cached
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT * FROM accounts WHERE id IN ({marks})"  # noqa: S608
            for row in self.db.execute(sql, chunk):
                account = Account(*row)
                account.stored_status = account.status
                account.asked = json.loads(row[-3])
                account.unrouted = json.loads(row[-2])
                found[account.id] = account
        return found

    def write(self, seq: int, accounts: Sequence[Account], rows: Sequence[Row]) -> None:
        """Everything a batch of events produced, and the stream position after it, at once."""
        c = self.db
        c.execute("BEGIN IMMEDIATE")
        try:
            added = _write_accounts(c, accounts, self.next_n)
            _write_rows(c, rows)
            c.execute("INSERT OR REPLACE INTO position VALUES (1, ?)", (seq,))
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")
        self.next_n += added
        for account in accounts:
            account.stored_status = account.status
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


def _write_rows(c: sqlite3.Connection, rows: Sequence[Row]) -> None:
    full, departments, hours = rollups.volumes(rows)
    for table, counts in (("volume", full), ("volume_departments", departments),
                          ("volume_hours", hours)):  # fmt: skip
        if not counts:
            continue  # the statement below needs a key to count its columns
        marks = ", ".join("?" * (len(next(iter(counts))) + 1))
        c.executemany(
            f"INSERT INTO {table} VALUES ({marks}) ON CONFLICT DO UPDATE SET n = n + excluded.n",  # noqa: S608
            [(*key, n) for key, n in counts.items()],
        )
    c.executemany(
        "INSERT INTO timings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [tuple(vars(r).values()) for r in rows if isinstance(r, Timing)],
    )
    timing_days, timing_departments = rollups.timing_days(rows)
    c.executemany(ADD_TIMING_DAYS, timing_days)
    c.executemany(ADD_TIMING_DEPARTMENTS, timing_departments)
    c.executemany(
        "INSERT INTO sla VALUES (?, ?, ?, ?, ?, ?, ?)",
        [tuple(vars(r).values()) for r in rows if isinstance(r, SlaOutcome)],
    )
    c.executemany(
        "INSERT INTO sla_days VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
        "met = met + excluded.met, n = n + excluded.n",
        rollups.sla_days(rows),
    )
    asked = {(r.ticket_id, r.asked_at) for r in rows if isinstance(r, RatingRow)}
    changed, sums = rollups.ratings(_ratings(c, asked), rows)
    c.executemany(
        "INSERT OR REPLACE INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?)",
        [tuple(vars(r).values()) for r in changed],
    )
    c.executemany(ADD_RATING_DAYS, sums)


def _ratings(c: sqlite3.Connection, keys: Iterable[tuple[str, str]]) -> dict[Any, Rating]:
    wanted = set(keys)
    tickets = sorted({ticket_id for ticket_id, _ in wanted})
    found: dict[Any, Rating] = {}
    for start in range(0, len(tickets), 500):
        chunk = tickets[start : start + 500]
        sql = f"SELECT * FROM ratings WHERE ticket_id IN ({','.join('?' * len(chunk))})"  # noqa: S608
        for row in c.execute(sql, chunk):
            rating = Rating(*row)
            if rating.key in wanted:
                found[rating.key] = rating
    return found


def _write_accounts(c: sqlite3.Connection, accounts: Sequence[Account], next_n: int) -> int:
    """New accounts numbered on from `next_n` (in the order their tickets first appeared, so
    the ones a batch touches are neighbours on disk); the others updated where they are.
    How many were new."""
    new: list[Account] = []
    known: list[Account] = []
    for account in accounts:
        (known if account.n else new).append(account)
    for n, account in enumerate(new, next_n):
        account.n = n
    c.executemany(
        f"INSERT INTO accounts VALUES ({', '.join('?' * 14)})",  # noqa: S608
        [(a.id, a.channel, a.created, *_changing(a)) for a in new],
    )
    c.executemany(UPDATE_ACCOUNT, [_changing(a) for a in known if a.status != a.stored_status])
    # Most updates keep the status: leaving it out of SET spares its index (3 us an event).
    c.executemany(
        UPDATE_ACCOUNT.replace("status = ?, ", ""),
        [_changing(a, status=False) for a in known if a.status == a.stored_status],
    )
    return len(new)


UPDATE_ACCOUNT = (
    "UPDATE accounts SET since = ?, status = ?, department = ?, assignee = ?, business = ?, "
    "wall = ?, responded = ?, counted = ?, asked = ?, unrouted = ? WHERE n = ?"
)


def _changing(a: Account, status: bool = True) -> tuple[object, ...]:
    """The columns a fold changes, and the row's number last."""
    asked = json.dumps(a.asked) if a.asked else "[]"
    unrouted = json.dumps(a.unrouted) if a.unrouted else "[]"
    return (a.since, *((a.status,) if status else ()), a.department, a.assignee, a.business,
            a.wall, a.responded, a.counted, asked, unrouted, a.n)  # fmt: skip
