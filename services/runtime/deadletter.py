"""Dead-lettering: a message that cannot be processed is moved aside with its reason.

Why not JetStream's own `max_deliver`: the server only drops the message and emits an
advisory; operators need the payload itself, kept, with the error that stopped it. So the
consumers retry without a server-side limit and this middleware moves the message to
`deadletter.<subject>` on a permanent error (bad payload) or after `max_deliver` attempts.
If the dead-letter publish itself fails the message is nacked and tried again: never lost.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from faststream import BaseMiddleware
from faststream._internal.context.repository import ContextRepo
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


class PermanentError(Exception):
    """Raised by a handler when retrying can never help (the input itself is wrong)."""


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


class DeadLetter:
    """Broker middleware factory: `NatsBroker(middlewares=[DeadLetter(...)])`."""

    def __init__(self, max_deliver: int, backoff: tuple[float, ...]) -> None:
        self.max_deliver = max_deliver
        self.backoff = backoff
        self.publish: Publish | None = None

    def bind(self, publish: Publish) -> None:
        self.publish = publish

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> "_DeadLetterScope":
        return _DeadLetterScope(msg, context=context, policy=self)


class _DeadLetterScope(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, policy: DeadLetter) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        msg = self.msg
        # Batches and core request/reply messages manage their own failures.
        if exc_val is None or not isinstance(msg, Msg) or not _is_jetstream(msg):
            return False
        if not isinstance(exc_val, Exception):
            return False
        delivered = msg.metadata.num_delivered
        permanent = isinstance(exc_val, (*PERMANENT_ERRORS, PermanentError))
        if (permanent or delivered >= self.policy.max_deliver) and self.policy.publish:
            try:
                await dead_letter(self.policy.publish, msg, describe(exc_val))
                return True
            except Exception:
                log.exception("dead-letter publish failed; the message will be retried")
        await msg.nak(delay=retry_delay(delivered, self.policy.backoff))
        return True


def _is_jetstream(msg: Msg) -> bool:
    return bool(msg.reply) and msg.reply.startswith("$JS.ACK.")
