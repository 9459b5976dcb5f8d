"""The embedded SQLite backend (WAL, FTS5 trigram search): the default with no MongoDB."""

from services.store.sqlite.repository import SqliteRepository

__all__ = ["SqliteRepository"]
