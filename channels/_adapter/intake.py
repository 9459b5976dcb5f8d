"""One platform update in, from a webhook or a poller: normalized, enriched (files), published
to `inbound.<channel>` before the caller tells the platform "done".

Three ways an update ends: stored; skipped with a reason (not a customer message); or kept in
`deadletter.inbound.<channel>` with a reason, when it is malformed (`InvalidPayload`) or when
the channel's normalizer fails on it (a bug: logged with its traceback and counted). A kept
update is answered like a stored one, because the platform sending it again cannot help and
would hold back the updates behind it. Only a failed publish raises: then the platform must
send the update again.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_json

from channels._adapter.inbound import InboundPublisher
from contracts.channels import Channel
from contracts.messages import InboundMessage
from services.runtime.deadletter import describe
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.adapter")


@dataclass(frozen=True)
class Skipped:
    """An update that is not a customer message (a membership change, a typing event…)."""

    reason: str


@dataclass(frozen=True)
class Stored:
    message: InboundMessage


@dataclass(frozen=True)
class Kept:
    """Unreadable: in the dead-letter stream with `reason`, for an operator to look at."""

    reason: str


Result = Stored | Skipped | Kept


class InvalidPayload(ValueError):
    """An update whose shape is not the platform's (a field of the wrong type, a message
    without a chat): kept for inspection and never retried."""


Normalize = Callable[[dict[str, Any], str], InboundMessage | Skipped]
Enrich = Callable[[InboundMessage, str], Awaitable[InboundMessage]]
After = Callable[[dict[str, Any], str, InboundMessage], Awaitable[None]]


async def _as_is(message: InboundMessage, account: str) -> InboundMessage:
    return message


class Intake:
    def __init__(
        self,
        channel: Channel,
        publisher: InboundPublisher,
        normalize: Normalize,
        enrich: Enrich = _as_is,
        after: After | None = None,
    ) -> None:
        """`normalize` is the channel's pure function; `enrich` does the I/O a message needs
        before it is stored (downloading the customer's files); `after` acknowledges it on
        the platform's side once stored (stopping a button's spinner)."""
        self.channel = channel
        self.publisher = publisher
        self.normalize = normalize
        self.enrich = enrich
        self.after = after

    async def accept(self, update: dict[str, Any], account: str) -> Result:
        """Raises only when the message could not be published: the platform retries."""
        try:
            message = self.normalize(update, account)
        except (InvalidPayload, ValidationError) as error:
            return await self.keep(
                account, to_json(update), f"unreadable update: {describe(error)}"
            )
        except Exception as error:
            log.exception("the %s normalizer failed on an update", self.channel)
            ERRORS.labels(self.channel, "normalizer_bug").inc()
            return await self.keep(
                account, to_json(update), f"normalizer failed: {describe(error)}"
            )
        if isinstance(message, Skipped):
            log.info("%s update skipped: %s", self.channel, message.reason)
            return message
        message = await self.enrich(message, account)
        await self.publisher.publish(message)
        if self.after is not None:
            await self.after(update, account, message)
        return Stored(message)

    async def keep(self, account: str, body: bytes, reason: str) -> Kept:
        """A payload nobody can read goes to `deadletter.inbound.<channel>`, for operators."""
        ERRORS.labels(self.channel, "bad_update").inc()
        log.warning(
            "%s update for %r kept in the dead-letter stream: %s", self.channel, account, reason
        )
        await self.publisher.keep(self.channel, account, body, reason)
        return Kept(reason)
