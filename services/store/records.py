"""What the store keeps beside the bus views: outbox and audit entries. Pure."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from contracts.base import new_id, utcnow


@dataclass
class OutboxEntry:
    """A message to publish after commit: an agent reply (`outbound.<ch>`) or an event.

    `msg_id` becomes Nats-Msg-Id, so publishing the same entry twice (a crash between the
    publish and the mark) stores it once in JetStream.
    """

    subject: str
    payload: bytes
    msg_id: str
    kind: Literal["outbound", "event"] = "event"
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class AuditEntry:
    ticket_id: str
    actor: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_id)
    at: datetime = field(default_factory=utcnow)
