"""Agent presence and load, kept in NATS KV buckets shared by the inbox and the router. Pure.

`presence` (entries expire after a TTL: an agent whose inbox stops heartbeating goes
offline by itself) says who is online; `agent-load` holds the tickets each agent owns. Load is
a set of ticket ids, not a count, so applying the same event twice changes nothing; every
write is a compare-and-set on the entry's revision, so router replicas never overfill anyone.
"""

from typing import Literal

from pydantic import Field

from contracts.base import BusModel

PRESENCE_BUCKET = "presence"
LOAD_BUCKET = "agent-load"
PresenceStatus = Literal["online", "away", "offline"]


class AgentPresence(BusModel):
    status: PresenceStatus
    at: float = Field(description="Unix time of the heartbeat")


class AgentLoadEntry(BusModel):
    tickets: list[str] = Field(default_factory=list, description="Open tickets owned")
    last_assigned: float = 0.0
    offline_since: float | None = None
