"""mongomock-ng behind the async shape of pymongo's AsyncMongoClient.

Only for the at-least-executed run of the MongoDB backend: every filter and update the
backend builds is executed by mongomock-ng. `$text` and change streams are not emulated;
the suite runs those against a real server (RELAYDESK_TEST_MONGO_URI).
"""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import mongomock_ng


class _Cursor:
    def __init__(self, docs: list[Any]) -> None:
        self.docs = docs

    async def to_list(self, length: int | None) -> list[Any]:
        return self.docs if length is None else self.docs[:length]


class _Collection:
    def __init__(self, sync: Any) -> None:
        self.sync = sync

    def find(self, *args: Any, session: Any = None, **kwargs: Any) -> _Cursor:
        return _Cursor(list(self.sync.find(*args, **kwargs)))

    async def aggregate(self, pipeline: list[Any], session: Any = None) -> _Cursor:
        return _Cursor(list(self.sync.aggregate(pipeline)))

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.sync, name)

        async def call(*args: Any, session: Any = None, **kwargs: Any) -> Any:
            return method(*args, **kwargs)

        return call


class _Database:
    def __init__(self, sync: Any) -> None:
        self.sync = sync

    def __getitem__(self, name: str) -> _Collection:
        return _Collection(self.sync[name])

    def __getattr__(self, name: str) -> _Collection:
        return _Collection(self.sync[name])


class _Session:
    """Writes go straight through: the fake has no rollback, so the suite avoids relying on it."""

    async def __aenter__(self) -> "_Session":
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        yield

    async def start_transaction(self) -> Any:
        return self._transaction()


class FakeAsyncMongoClient:
    def __init__(self) -> None:
        self.sync = mongomock_ng.MongoClient(tz_aware=True)

    def __getitem__(self, name: str) -> _Database:
        return _Database(self.sync[name])

    def start_session(self) -> _Session:
        return _Session()

    async def close(self) -> None:
        self.sync.close()
