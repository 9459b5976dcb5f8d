"""SQLite tables and indexes. Documents are kept as JSON beside the columns queries use.

Search uses FTS5's trigram tokenizer: it folds case for Cyrillic and other scripts and
finds words inside scripts written without spaces (Thai), which unicode61 cannot.
"""

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=15000",
    "PRAGMA temp_store=MEMORY",
    # 32 MB: the inbox benchmark (1M messages) reads as fast as with 64 MB, and the store
    # stays at ~113 MB resident in the end-to-end run instead of ~149 (the budget is 150).
    "PRAGMA cache_size=-32768",
    "PRAGMA wal_autocheckpoint=10000",
)

# Columns added since the first release: (table, column, type), added to older files on start.
ADDED_COLUMNS = (("tickets", "timer_ts", "REAL"),)
# Indexes over added columns, created once the columns exist.
LATE_INDEXES = (
    # The router's sweep: tickets with an SLA warning, breach or follow-up due.
    "CREATE INDEX IF NOT EXISTS tickets_timer ON tickets(timer_ts) WHERE timer_ts IS NOT NULL",
)

# The reader connection's (ticket lists and search): it never writes, so no WAL settings.
READER_PRAGMAS = tuple(
    p for p in PRAGMAS if not p.startswith(("PRAGMA journal_mode", "PRAGMA wal_", "PRAGMA sync"))
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
-- A customer found by the address on their contact (every channel's tickets of one person).
CREATE INDEX IF NOT EXISTS contacts_email ON contacts(lower(json_extract(doc, '$.email')));
CREATE TABLE IF NOT EXISTS contact_identities (
    identity TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    thread TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    department TEXT,
    assignee TEXT,
    channel TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    created_ts REAL NOT NULL,
    updated_ts REAL NOT NULL,
    version INTEGER NOT NULL,
    timer_ts REAL,
    doc TEXT NOT NULL
);
-- At most one live ticket per thread: two replicas racing on a new thread cannot both win.
CREATE UNIQUE INDEX IF NOT EXISTS tickets_live_thread ON tickets(thread) WHERE status != 'closed';
CREATE INDEX IF NOT EXISTS tickets_thread ON tickets(thread, created_ts);
CREATE INDEX IF NOT EXISTS tickets_queue ON tickets(status, department, updated_ts, id);
-- The router's question, asked on every drain: who waits unassigned in this department. Without
-- it the answer scanned every open ticket of the department, assigned or not.
CREATE INDEX IF NOT EXISTS tickets_waiting ON tickets(department, status) WHERE assignee IS NULL;
CREATE INDEX IF NOT EXISTS tickets_department ON tickets(department, updated_ts, id);
CREATE INDEX IF NOT EXISTS tickets_assignee ON tickets(assignee, updated_ts, id);
CREATE INDEX IF NOT EXISTS tickets_updated ON tickets(updated_ts, id);
CREATE INDEX IF NOT EXISTS tickets_contact ON tickets(contact_id, updated_ts);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    ticket_id TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_ticket ON messages(ticket_id, seq);
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(
    content, ticket_id UNINDEXED, message_id UNINDEXED, tokenize='trigram'
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    entries BLOB NOT NULL,
    created_ts REAL NOT NULL,
    published_ts REAL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(seq) WHERE published_ts IS NULL;
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    ticket_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    at_ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ticket ON audit(ticket_id, seq);
CREATE TABLE IF NOT EXISTS directory (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    email TEXT,
    doc TEXT NOT NULL,
    secret TEXT,
    seq INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS directory_agent_email ON directory(email) WHERE kind = 'agent';
-- Receipts that came before the report of the send they are about (see ingest.py).
CREATE TABLE IF NOT EXISTS receipts (
    key TEXT NOT NULL,
    doc TEXT NOT NULL,
    at_ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_key ON receipts(key);
-- Ticket numbers come from max(number) under the write lock; older files had a counter table.
DROP TABLE IF EXISTS counters;
"""
