"""The MongoDB backend (pymongo's async API; replica set for transactions).

`documents` builds every filter and document as plain dicts (pure, unit-tested); the unit of
work only sends them, so the same code runs against a real server and, for the
at-least-executed contract run, against mongomock-ng through `SyncDatabase`.
"""

from services.store.mongo.repository import MongoRepository

__all__ = ["MongoRepository"]
