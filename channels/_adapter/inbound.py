"""Inbound: a normalized message is in JetStream before the platform hears "OK"."""

from nats.js import JetStreamContext

from contracts import streams, subjects
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
