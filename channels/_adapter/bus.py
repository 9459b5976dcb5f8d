"""What an adapter publishes for the store, declared on its broker so the generated AsyncAPI
document shows the adapter <-> store contract: `inbound.<channel>` and `delivery.<channel>`.
(Adapters publish through JetStream directly: each message needs its own Nats-Msg-Id.)"""

from faststream.nats import NatsBroker

from contracts import subjects
from contracts.channels import Channel
from contracts.messages import DeliveryReport, InboundMessage


def declare_adapter(broker: NatsBroker, channel: Channel) -> None:
    broker.publisher(
        subjects.inbound(channel),
        schema=InboundMessage,
        title=f"{channel}/inbound",
        description="Customer messages, normalized; the store consumes them (STORE_INBOUND)",
    )
    broker.publisher(
        subjects.delivery(channel),
        schema=DeliveryReport,
        title=f"{channel}/delivery",
        description="What became of each reply; the store consumes them (STORE_DELIVERY)",
    )
