"""Dead-lettering: a message that cannot be processed is moved aside with its reason.

Why not JetStream's own `max_deliver`: the server only drops the message and emits an
advisory; operators need the payload itself, kept, with the error that stopped it. So the
consumers retry without a server-side limit and `services.runtime.consumer` moves the message
to `deadletter.<subject>` on a permanent error (bad payload) or after the spec's `max_deliver`
attempts. The message is acked only once its dead letter is stored: never lost.
"""

import json
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from pydantic import ValidationError

from contracts import streams, subjects
from services.runtime.metrics import DEAD_LETTERS

Publish = Callable[[str, bytes, dict[str, str]], Awaitable[None]]
log = logging.getLogger("relaydesk.deadletter")

PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
)


def describe(error: BaseException) -> str:
    """A one-line reason an operator can act on."""
    if isinstance(error, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or '<body>'}: {e['msg']}"
            for e in error.errors()[:5]
        ]
        return f"invalid {error.title}: " + "; ".join(parts)
    return f"{type(error).__name__}: {error}".replace("\n", " ")[:1000]


def retry_delay(delivered: int, backoff: tuple[float, ...]) -> float:
    """The wait before attempt `delivered + 1`: the backoff step, the last one repeated."""
    if not backoff:
        return 0.0
    return backoff[min(delivered, len(backoff)) - 1]


async def dead_letter(publish: Publish, msg: Msg, reason: str) -> None:
    """Move `msg` to `deadletter.<subject>` with its reason and origin, then ack it."""
    meta = msg.metadata
    headers = {
        streams.DEAD_REASON: reason,
        streams.DEAD_SUBJECT: msg.subject,
        streams.DEAD_DELIVERIES: str(meta.num_delivered),
        streams.DEAD_CONSUMER: meta.consumer or "",
        streams.DEAD_SEQUENCE: str(meta.sequence.stream),
        # The same stored message dead-lettered twice (a crash after publish) is kept once.
        streams.MSG_ID: f"dead:{meta.stream}:{meta.sequence.stream}",
    }
    await publish(subjects.dead_letter(msg.subject), msg.data, headers)
    DEAD_LETTERS.labels(msg.subject).inc()
    log.warning("dead-lettered %s seq=%s: %s", msg.subject, meta.sequence.stream, reason)
    await msg.ack()
