"""The base every bus model shares: versioned, unknown fields kept. Pure.

`extra="allow"` is deliberate (DESIGN §3): a service that re-publishes a message written by a
newer producer keeps the fields it does not know yet, so rolling deploys lose nothing.
"""

import random
import time
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

_random = random.SystemRandom().getrandbits(64)
_ids = random.Random(_random ^ time.time_ns())


def new_id() -> str:
    """A 32-hex-digit identifier that sorts by creation time (48-bit milliseconds, then 80
    random bits). Ids are unique, not secret: access is checked by department, never by an
    unguessable id; uuid4's system call per id was a tenth of the store's ingest time."""
    return f"{time.time_ns() // 1_000_000:012x}{_ids.getrandbits(80):020x}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class BusModel(BaseModel):
    """A message on the bus. Subclasses add fields; a breaking change is a new model version."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=False)

    schema_version: Literal[1] = 1

    def to_bytes(self) -> bytes:
        """The wire form: UTF-8 JSON, non-ASCII text kept as is."""
        return self.model_dump_json(exclude_none=False).encode()
