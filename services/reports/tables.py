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

from services.reports import rollups
from services.reports.fold import Account, RatingRow, Row, SlaOutcome, Timing
from services.reports.online import Seen
from services.reports.rollups import Rating

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
SUMS = ("volume_hours", "timing_days", "sla_days", "rating_days")
TABLES = ROWS + SUMS
# Presence is not on the stream: a rebuild keeps what heartbeats gave (`online`, `presence`).


SUMMED = 2  # `user_version` of a file whose sums (SUMS) are filled; older ones get them at open
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
        self._add_sla_channel()
        self.db.executescript(SCHEMA)
        if self.db.execute("PRAGMA user_version").fetchone()[0] < SUMMED:
            self._sum_rows()

    def close(self) -> None:
        self.db.close()

    def _add_sla_channel(self) -> None:
        """A file from before SLA rows had a channel: theirs is empty until a rebuild."""
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(sla)")}
        if columns and "channel" not in columns:
            self.db.execute("ALTER TABLE sla ADD COLUMN channel TEXT NOT NULL DEFAULT ''")
            self.db.execute("DROP INDEX IF EXISTS sla_cover")

    def _sum_rows(self) -> None:
        """Fill the sums from the rows, once: a file written before they existed."""
        c = self.db
        c.execute("BEGIN IMMEDIATE")
        for table in SUMS:
            c.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
        for statement in SUM_ROWS.split(";")[:-1]:
            c.execute(statement)
        timings = c.execute("SELECT * FROM timings")
        while chunk := timings.fetchmany(50_000):
            c.executemany(ADD_TIMING_DAYS, rollups.timing_days([Timing(*r) for r in chunk]))
        c.execute(f"PRAGMA user_version = {SUMMED}")
        c.execute("COMMIT")

    def forget(self) -> None:
        """Drop the cached accounts: a batch failed after folding changed some of them."""
        self.cache.clear()

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
            else:  # the fold changes it in place: `forget` after a batch that failed
                found[ticket_id] = cached
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
            _write_rows(c, rows)
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
    c.executemany(ADD_TIMING_DAYS, rollups.timing_days(rows))
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


# `||` of two blobs is text holding their bytes; the cast keeps it a blob.
ADD_TIMING_DAYS = (
    "INSERT INTO timing_days VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
    "n = n + excluded.n, business = CAST(business || excluded.business AS BLOB)"
)
SUM_ROWS = """
INSERT INTO volume_hours
    SELECT bucket / 3600 * 3600, department, kind, SUM(n) FROM volume_departments GROUP BY 1, 2, 3;
INSERT INTO sla_days
    SELECT CAST(at / 86400 AS INTEGER) * 86400, department, agent, channel, target, SUM(met),
        COUNT(*)
    FROM sla GROUP BY 1, 2, 3, 4, 5;
INSERT INTO rating_days
    SELECT CAST(at / 86400 AS INTEGER) * 86400, channel, department, agent, COUNT(*),
        COUNT(score), TOTAL(score), TOTAL(score = 1), TOTAL(score = 2), TOTAL(score = 3),
        TOTAL(score = 4), TOTAL(score = 5)
    FROM ratings GROUP BY 1, 2, 3, 4;
"""
RATING_SUMS = ("asked", "rated", "total", "score_1", "score_2", "score_3", "score_4", "score_5")
_ADDED = ", ".join(f"{col} = {col} + excluded.{col}" for col in RATING_SUMS)
ADD_RATING_DAYS = (
    f"INSERT INTO rating_days VALUES ({', '.join('?' * 12)}) ON CONFLICT DO UPDATE SET {_ADDED}"  # noqa: S608
)


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


def _account_row(a: Account) -> tuple[object, ...]:
    doc = json.dumps(a.to_dict())
    return (a.id, a.status, a.channel, a.department, a.assignee, a.created, doc)
