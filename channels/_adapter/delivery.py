"""Delivery reports, the one way every adapter tells the store what became of a reply.

Two shapes: the outbound worker's, naming the `OutboundMessage` it delivered (and the
platform's id for it on a send), and a platform's own receipt that knows only the platform's
id (Viber's `delivered`/`seen`, VK's read marks, a web chat visitor's browser): the store
resolves that id to the message it recorded when the reply was sent.
"""

from nats.js import JetStreamContext

from contracts import streams, subjects
from contracts.channels import Channel
from contracts.messages import DeliveryReport, DeliveryStatus, OutboundMessage


class DeliveryReporter:
    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def outcome(
        self,
        out: OutboundMessage,
        status: DeliveryStatus,
        attempt: int,
        *,
        external_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        """What the worker's delivery of `out` came to: sent (with the platform's id) or
        failed (with the reason). One report per outbound id and status, even if repeated."""
        report = DeliveryReport(
            outbound_id=out.id,
            message_id=out.message_id,
            ticket_id=out.ticket_id,
            channel=out.channel,
            account=out.account,
            status=status,
            external_id=external_id,
            reason=reason,
            attempt=attempt,
        )
        await self._publish(report, f"{out.id}:{status}")

    async def receipt(
        self,
        channel: Channel,
        account: str,
        external_id: str,
        status: DeliveryStatus,
        bounced: str | None = None,
    ) -> None:
        """The platform says the customer got (`delivered`) or saw (`read`) the message it
        knows as `external_id`, or, with `bounced` (the reason), that it came back after
        all. Repeats within JetStream's window are dropped by id."""
        report = DeliveryReport(
            channel=channel,
            account=account,
            status=status,
            external_id=external_id,
            reason=bounced,
            bounced=bounced is not None,
        )
        await self._publish(report, f"{channel}:{account}:{external_id}:{status}")

    async def _publish(self, report: DeliveryReport, msg_id: str) -> None:
        await self.js.publish(
            subjects.delivery(report.channel), report.to_bytes(), headers={streams.MSG_ID: msg_id}
        )
