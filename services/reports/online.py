"""Agents' online time from their presence heartbeats. Pure.

The inbox writes an agent's presence (`online`, `away`, `offline`) every few seconds while
their inbox is open, into a NATS KV bucket whose entries expire after its TTL, and expiry
tells nobody. So time between two heartbeats counts as online when the first said `online`,
up to the TTL: an agent whose browser vanished stops counting a TTL after their last beat.
"""

from dataclasses import dataclass

from services.reports.fold import BUCKET


@dataclass
class Seen:
    status: str
    at: float


def beat(
    previous: Seen | None, status: str, at: float, ttl: float
) -> tuple[Seen | None, list[tuple[int, float]]]:
    """The agent's state after a heartbeat, and the online seconds it adds per bucket. A
    heartbeat older than the last one seen (replayed after a restart) changes nothing."""
    if previous is not None and at <= previous.at:
        return previous, []
    pieces: list[tuple[int, float]] = []
    if previous is not None and previous.status == "online":
        start, end = previous.at, previous.at + min(at - previous.at, ttl)
        while start < end:
            bucket = int(start // BUCKET) * BUCKET
            stop = min(end, bucket + BUCKET)
            pieces.append((bucket, stop - start))
            start = stop
    return Seen(status, at), pieces
