"""The base every bus model shares: versioned, unknown fields kept. Pure.

`extra="allow"` is deliberate (DESIGN §3): a service that re-publishes a message written by a
newer producer keeps the fields it does not know yet, so rolling deploys lose nothing.
"""

from datetime import UTC, datetime
from typing import Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict


def new_id() -> str:
    """A random, URL-safe identifier for anything the desk creates."""
    return uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class BusModel(BaseModel):
    """A message on the bus. Subclasses add fields; a breaking change is a new model version."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=False)

    schema_version: Literal[1] = 1

    def to_bytes(self) -> bytes:
        """The wire form: UTF-8 JSON, non-ASCII text kept as is."""
        return self.model_dump_json(exclude_none=False).encode()
