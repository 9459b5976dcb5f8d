"""JetStream streams and durable consumers, as plain data. Pure.

`services.runtime.broker` turns these into server objects; keeping them here makes the
retention and redelivery policy part of the reviewed bus API. Design: shared/DESIGN.md §3.
"""

from dataclasses import dataclass

from contracts import subjects
from contracts.channels import Channel

DAY = 86_400.0

# Dead-letter headers: the reason and the origin travel with the unchanged payload.
DEAD_REASON = "Relaydesk-Dead-Reason"
DEAD_SUBJECT = "Relaydesk-Original-Subject"
DEAD_DELIVERIES = "Relaydesk-Deliveries"
DEAD_CONSUMER = "Relaydesk-Consumer"
DEAD_SEQUENCE = "Relaydesk-Stream-Sequence"
MSG_ID = "Nats-Msg-Id"

# Every durable consumer retries this often, this far apart, before dead-lettering.
MAX_DELIVER = 5
BACKOFF: tuple[float, ...] = (0.5, 2.0, 5.0, 15.0)


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    max_age: float
    duplicate_window: float = 120.0
    description: str = ""


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable, explicitly acked consumer. After `max_deliver` failed attempts the message
    is moved to `deadletter.<subject>` with the reason; `backoff` spaces the retries."""

    stream: str
    durable: str
    filter_subject: str
    max_deliver: int = MAX_DELIVER
    ack_wait: float = 30.0
    backoff: tuple[float, ...] = BACKOFF
    max_ack_pending: int = 10_000


INBOUND = StreamSpec("INBOUND", (subjects.INBOUND_ALL,), 7 * DAY, description="Customer messages")
OUTBOUND = StreamSpec("OUTBOUND", (subjects.OUTBOUND_ALL,), 7 * DAY, description="Agent replies")
DELIVERY = StreamSpec("DELIVERY", (subjects.DELIVERY_ALL,), 7 * DAY, description="Reports")
EVENTS = StreamSpec("EVENTS", (subjects.EVENTS_ALL,), 3 * DAY, description="Store facts")
DEAD_LETTER = StreamSpec(
    "DEADLETTER", (subjects.DEAD_LETTER_ALL,), 30 * DAY, description="Kept for operators"
)
# The web chat's own record of what each visitor saw (the platform side of that channel).
WEBCHAT = StreamSpec(
    "WEBCHAT", (subjects.WEBCHAT_ALL,), 90 * DAY, description="Visitor transcripts"
)
ALL_STREAMS: tuple[StreamSpec, ...] = (INBOUND, OUTBOUND, DELIVERY, EVENTS, DEAD_LETTER)

# A batch commits in milliseconds: a short ack_wait makes a crashed store's batch come back soon.
# At most 2,000 unacked per consumer: what waits in a store's memory is written well within
# ack_wait, so nothing is redelivered while it is still queued.
STORE_INBOUND = ConsumerSpec(
    "INBOUND", "store-inbound", subjects.INBOUND_ALL, ack_wait=10.0, max_ack_pending=2000
)
STORE_DELIVERY = ConsumerSpec(
    "DELIVERY", "store-delivery", subjects.DELIVERY_ALL, ack_wait=10.0, max_ack_pending=2000
)
# Every event, in order, into the report tables (one replica; it keeps its own position too).
REPORTS_EVENTS = ConsumerSpec(
    "EVENTS", "reports-events", subjects.EVENTS_ALL, ack_wait=60.0, max_ack_pending=5000
)
ROUTER_EVENTS = ConsumerSpec(
    "EVENTS", "router-events", subjects.EVENTS_TICKET, ack_wait=30.0, max_ack_pending=1000
)


def adapter_outbound(channel: Channel) -> ConsumerSpec:
    """The consumer every replica of one channel adapter shares. A short ack_wait brings a
    crashed replica's replies back soon; heartbeats cover a long upload. At most 1,000
    replies in a replica's hands at once."""
    return ConsumerSpec(
        "OUTBOUND",
        f"adapter-{channel}",
        subjects.outbound(channel),
        ack_wait=6.0,
        max_ack_pending=1000,
    )
