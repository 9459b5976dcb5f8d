"""Typing indicators: "the customer is typing" to agents, "an agent is typing" to the
customer. Pure.

Ephemeral on purpose: core NATS (no stream), fire and forget. A lost indicator costs nothing,
and keeping them would fill JetStream with noise no one reads again.
"""

from typing import Literal

from contracts.base import BusModel
from contracts.channels import Channel

TYPING_SHOWN_FOR = 6.0  # seconds an indicator stays up unless repeated


class Typing(BusModel):
    channel: Channel
    account: str
    thread_key: str
    who: Literal["customer", "agent"]
    ticket_id: str | None = None
    agent_name: str | None = None
