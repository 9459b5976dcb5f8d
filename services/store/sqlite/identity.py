"""Tickets and contacts as this connection last committed them, kept from one transaction
to the next so a busy thread's ticket is not read and parsed again for every batch.

Parsing the batch's tickets and contacts back from JSON was a sixth of ingest time. The map
is only trusted while nobody else wrote: `PRAGMA data_version` changes when another
connection (a second store process on the same file) commits, and then the map starts
afresh. Every write of this connection to tickets and contacts goes through the map, and a
rollback clears it, so what it holds is always what is committed.
"""

import sqlite3
from dataclasses import dataclass, field

from contracts.tickets import ContactView, TicketView

LIMIT = 20_000
"""Tickets (and contacts) kept at most; past it the map starts afresh: a few MB, never
the whole table."""


@dataclass
class IdentityMap:
    tickets: dict[str, TicketView] = field(default_factory=dict)
    threads: dict[str, list[str]] = field(default_factory=dict)  # ticket ids, oldest first
    contacts: dict[str, ContactView | None] = field(default_factory=dict)  # by identity
    versions: dict[str, int] = field(default_factory=dict)  # as stored, for the UPDATE guard
    max_number: int | None = None
    data_version: int | None = None

    def clear(self) -> None:
        self.tickets.clear()
        self.threads.clear()
        self.contacts.clear()
        self.versions.clear()
        self.max_number = None

    def check(self, conn: sqlite3.Connection) -> None:
        """At the start of a write transaction: forget everything if another connection
        committed since, or if the map has grown past its limit."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self.data_version or max(len(self.tickets), len(self.contacts)) > LIMIT:
            self.clear()
            self.data_version = version
