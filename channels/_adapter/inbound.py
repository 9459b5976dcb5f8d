"""Inbound: a normalized message is in JetStream before the platform hears "OK"."""

from nats.js import JetStreamContext

from contracts import streams, subjects
from contracts.channels import Channel
from contracts.messages import InboundMessage
from services.runtime.metrics import CHANNEL_MESSAGES


class InboundPublisher:
    def __init__(self, js: JetStreamContext, timeout: float = 5.0) -> None:
        self.js = js
        self.timeout = timeout

    async def publish(self, message: InboundMessage) -> None:
        """Returns once JetStream has stored it; raises otherwise, and the caller answers the
        platform with an error so it retries. The dedupe key makes a retried update a no-op."""
        await self.js.publish(
            subjects.inbound(message.channel),
            message.to_bytes(),
            headers={streams.MSG_ID: message.dedupe_key},
            timeout=self.timeout,
        )
        CHANNEL_MESSAGES.labels(message.channel, message.account, "in").inc()

    async def keep(self, channel: Channel, account: str, body: bytes, reason: str) -> None:
        """An unreadable payload, unchanged, in `deadletter.inbound.<channel>` with why."""
        await self.js.publish(
            subjects.dead_letter(subjects.inbound(channel)),
            body,
            headers={
                streams.DEAD_REASON: reason[:500],
                streams.DEAD_SUBJECT: f"{channel}:{account}",
            },
            timeout=self.timeout,
        )
