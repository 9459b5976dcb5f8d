"""JetStream streams and durable consumers, as plain data. Pure.

`services.runtime.broker` turns these into server objects; keeping them here makes the
retention and redelivery policy part of the reviewed bus API. Design: shared/DESIGN.md §3.
"""

from dataclasses import dataclass

from contracts import subjects
from contracts.channels import Channel

DAY = 86_400.0
GIB = 1 << 30

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
    """One stream's production settings, applied at every start (`services.runtime.broker`).

    `max_bytes` is applied when the operator turns caps on (`RELAYDESK_JS_CAPPED`): the server
    reserves that much disk per stream and replica, more than a laptop running `relaydesk up`
    may have. `discard_new`: a full stream refuses new messages, so the publisher sees the
    error (a webhook answers 5xx and the platform retries, the store's outbox waits) and
    nothing unprocessed is dropped; otherwise the oldest messages go first. Replicas come from
    `RELAYDESK_JS_REPLICAS` (3 on a cluster). All are limits-retention streams: each consumer
    keeps its own position, which work-queue retention would not allow for EVENTS."""

    name: str
    subjects: tuple[str, ...]
    max_age: float
    duplicate_window: float = 120.0
    description: str = ""
    max_bytes: int = -1
    discard_new: bool = True


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


# Sizes: a message is about 1 KB on the bus (attachments travel as references), so 8 GiB keeps
# a week of INBOUND at about 13 messages/s around the clock, far above a day's peaks.
INBOUND = StreamSpec(
    "INBOUND", (subjects.INBOUND_ALL,), 7 * DAY, description="Customer messages", max_bytes=8 * GIB
)
OUTBOUND = StreamSpec(
    "OUTBOUND", (subjects.OUTBOUND_ALL,), 7 * DAY, description="Agent replies", max_bytes=8 * GIB
)
DELIVERY = StreamSpec(
    "DELIVERY", (subjects.DELIVERY_ALL,), 7 * DAY, description="Reports", max_bytes=4 * GIB
)
# Three days of facts: enough for the reports service to catch up after a long outage.
EVENTS = StreamSpec(
    "EVENTS", (subjects.EVENTS_ALL,), 3 * DAY, description="Store facts", max_bytes=16 * GIB
)
# Full: the oldest dead letters go, so a flood of bad input never stops consumers dead-lettering.
DEAD_LETTER = StreamSpec(
    "DEADLETTER", (subjects.DEAD_LETTER_ALL,), 30 * DAY, description="Kept for operators",
    max_bytes=2 * GIB, discard_new=False,
)  # fmt: skip
# The web chat's own record of what each visitor saw (the platform side of that channel).
WEBCHAT = StreamSpec(
    "WEBCHAT", (subjects.WEBCHAT_ALL,), 90 * DAY, description="Visitor transcripts",
    max_bytes=4 * GIB, discard_new=False,
)  # fmt: skip
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
# Agents' replies and resolutions into customers' notice mail (services/portal/notifier.py):
# two narrow consumers, so the rest of EVENTS is never delivered to the portal.
PORTAL_MESSAGES = ConsumerSpec(
    "EVENTS", "portal-messages", subjects.event("message.created"), ack_wait=60.0,
    max_ack_pending=1000,
)  # fmt: skip
PORTAL_CHANGES = ConsumerSpec(
    "EVENTS", "portal-changes", subjects.event("ticket.changed"), ack_wait=60.0,
    max_ack_pending=1000,
)  # fmt: skip
ROUTER_EVENTS = ConsumerSpec(
    "EVENTS", "router-events", subjects.EVENTS_TICKET, ack_wait=30.0, max_ack_pending=1000
)


# Replies per channel are split this many ways by chat (`subjects.partition_of`): one replica
# holds a partition at a time, so replies to one chat never cross, and up to this many
# replicas of one adapter share the work. Changing it moves chats between partitions: drain
# OUTBOUND first (see deploy/README.md).
OUTBOUND_PARTITIONS = 8


def adapter_outbound(channel: Channel) -> ConsumerSpec:
    """The consumer every replica of one channel adapter shares for replies published before
    partitioning (`outbound.<channel>`). A short ack_wait brings a crashed replica's replies
    back soon; heartbeats cover a long upload. At most 1,000 replies in hand at once."""
    return ConsumerSpec(
        "OUTBOUND",
        f"adapter-{channel}",
        subjects.outbound(channel),
        ack_wait=6.0,
        max_ack_pending=1000,
    )


def adapter_partition(channel: Channel, partition: int) -> ConsumerSpec:
    """The consumer of one outbound partition, read by the one replica that holds it."""
    return ConsumerSpec(
        "OUTBOUND",
        f"adapter-{channel}-p{partition}",
        subjects.outbound_partition(channel, partition),
        ack_wait=6.0,
        max_ack_pending=1000,
    )
