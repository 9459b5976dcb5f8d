"""What the store keeps beside the bus views: outbox and audit entries, and what a command
comes to. Pure."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from contracts import commands as c
from contracts import events as ev
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


@dataclass
class OutboxBatch:
    """Everything one transaction staged, stored as one outbox row and marked published as
    one: a batch of 500 inbound messages costs one outbox write, not a thousand."""

    entries: list[OutboxEntry]
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)

    def to_bytes(self) -> bytes:
        """One line per entry: `subject kind msg_id payload`. Subjects, kinds and ids hold no
        spaces and JSON payloads no raw newlines, so no escaping is needed (json.dumps of the
        whole batch cost more than the rest of the outbox write)."""
        return b"\n".join(
            b" ".join((e.subject.encode(), e.kind.encode(), e.msg_id.encode(), e.payload))
            for e in self.entries
        )

    @classmethod
    def from_bytes(cls, data: bytes, id: str, created_at: datetime) -> "OutboxBatch":
        entries = []
        for line in data.split(b"\n"):
            subject, kind, msg_id, payload = line.split(b" ", 3)
            entries.append(OutboxEntry(subject.decode(), payload, msg_id.decode(), kind.decode()))  # type: ignore[arg-type]
        return cls(entries, id, created_at)


@dataclass
class AuditEntry:
    ticket_id: str
    actor: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_id)
    at: datetime = field(default_factory=utcnow)


@dataclass
class Outcome:
    """What a command handler comes to: the reply, and what goes to the outbox with it."""

    reply: c.CommandOk
    events: list[ev.Event] = field(default_factory=list)
    outbound: list[OutboxEntry] = field(default_factory=list)
