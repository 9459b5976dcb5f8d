"""Opening a reports file written by an earlier version: what changed in its tables is done
to it once, in place, so a desk upgrades without a rebuild. `user_version` counts the steps.

1. SLA rows got a channel (theirs stays empty until a rebuild).
2. Accounts numbered in the order tickets appeared, their JSON documents made columns; the
   day and hour sums filled from rows.
"""

import sqlite3

from services.reports import rollups
from services.reports.fold import Timing

VERSION = 2
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


def before_schema(db: sqlite3.Connection) -> None:
    """What must change before the schema's CREATE ... IF NOT EXISTS statements run."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(sla)")}
    if columns and "channel" not in columns:
        db.execute("ALTER TABLE sla ADD COLUMN channel TEXT NOT NULL DEFAULT ''")
        db.execute("DROP INDEX IF EXISTS sla_cover")
    columns = {r[1] for r in db.execute("PRAGMA table_info(accounts)")}
    if columns and "doc" in columns:
        db.execute("DROP INDEX IF EXISTS accounts_waiting")
        db.execute("ALTER TABLE accounts RENAME TO accounts_by_id")


def after_schema(db: sqlite3.Connection) -> None:
    if db.execute("PRAGMA user_version").fetchone()[0] >= VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'accounts_by_id'").fetchone():
        fields = ("id", "channel", "created", "since", "status", "department", "assignee",
                  "business", "wall", "responded", "counted", "asked", "unrouted")  # fmt: skip
        extract = ", ".join(f"json_extract(doc, '$.{f}')" for f in fields)
        db.execute(
            f"INSERT INTO accounts ({', '.join(fields)}) "  # noqa: S608 - our own names
            f"SELECT {extract} FROM accounts_by_id ORDER BY created"
        )
        db.execute("DROP TABLE accounts_by_id")
    for table in ("volume_hours", "timing_days", "timing_departments", "sla_days", "rating_days"):
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
    for statement in SUM_ROWS.split(";")[:-1]:
        db.execute(statement)
    timings = db.execute("SELECT * FROM timings")
    while chunk := timings.fetchmany(50_000):
        days, departments = rollups.timing_days([Timing(*r) for r in chunk])
        db.executemany(rollups.ADD_TIMING_DAYS, days)
        db.executemany(rollups.ADD_TIMING_DEPARTMENTS, departments)
    db.execute(f"PRAGMA user_version = {VERSION}")
    db.execute("COMMIT")
