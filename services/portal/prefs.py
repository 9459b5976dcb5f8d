"""Customers' notification choices and the record of notices sent, in NATS KV: the portal
keeps no database of its own, and every replica sees the same choices at once.

`portal-prefs` holds one key per address (its SHA-256: a KV key cannot hold `@` or most of
what an address may). `portal-sent` remembers each notice for eight days; a notice is
claimed there before its mail goes out, so two replicas, or an event delivered twice, send
it once. A mail that fails gives its claim back and is tried again.
"""

import hashlib
from collections.abc import AsyncIterator

from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, NoKeysError
from nats.js.kv import KeyValue

from services.portal.notices import Prefs
from services.runtime.kv import lost_race, open_bucket

PREFS_BUCKET = "portal-prefs"
SENT_BUCKET = "portal-sent"
SENT_DAYS = 8  # longer than a week: a weekly summary's claim outlives its week


def key_of(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]


class Preferences:
    def __init__(self, prefs: KeyValue, sent: KeyValue) -> None:
        self.prefs = prefs
        self.sent = sent

    @classmethod
    async def open(cls, js: JetStreamContext) -> "Preferences":
        prefs = await open_bucket(js, PREFS_BUCKET)
        return cls(prefs, await open_bucket(js, SENT_BUCKET, SENT_DAYS * 86400.0))

    async def get(self, email: str) -> Prefs:
        try:
            entry = await self.prefs.get(key_of(email))
        except KeyNotFoundError:
            return Prefs(email=email)
        return Prefs.model_validate_json(entry.value or b"{}")

    async def put(self, prefs: Prefs) -> None:
        await self.prefs.put(key_of(prefs.email), prefs.model_dump_json().encode())

    async def everyone(self) -> AsyncIterator[Prefs]:
        try:
            keys = await self.prefs.keys()
        except NoKeysError:
            return
        for key in keys:
            try:
                entry = await self.prefs.get(key)
            except KeyNotFoundError:  # removed since the listing
                continue
            if entry.value:
                yield Prefs.model_validate_json(entry.value)

    async def claim(self, notice: str) -> bool:
        """True for the one caller that may send this notice."""
        try:
            await self.sent.create(notice, b"1")
        except Exception as error:
            if lost_race(error):
                return False
            raise
        return True

    async def was_sent(self, notice: str) -> bool:
        try:
            await self.sent.get(notice)
        except KeyNotFoundError:  # never, or given back (a delete reads as not found)
            return False
        return True

    async def release(self, notice: str) -> None:
        await self.sent.delete(notice)
