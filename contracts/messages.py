"""What channel adapters and the store exchange: inbound, outbound and delivery reports. Pure."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from contracts.base import BusModel, new_id, utcnow
from contracts.channels import Channel


def platform_key(channel: str, account: str, external_id: str) -> str:
    """How a platform names one message: `<channel>:<account>:<external id>`, the dedupe key
    of an inbound message and the key a sent reply is indexed by. A mail's Message-ID is
    unique across the world (RFC 5322, 3.6.4), so for email the account is left out: the
    same mail reaching two mailboxes, or one by IMAP and by SMTP, is one message, and an
    answer to a reply sent from one mailbox is found through any other."""
    return f"email:*:{external_id}" if channel == "email" else f"{channel}:{account}:{external_id}"


class Sender(BusModel):
    """Who wrote a message, as the channel knows them."""

    channel_user_id: str = Field(min_length=1)
    display_name: str | None = None
    username: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    timezone: str | None = Field(
        default=None, description="IANA name (a browser's) or UTC offset ('+03:00', a mail's)"
    )
    page: str | None = Field(
        default=None, max_length=500, description="The web page the customer wrote from (web chat)"
    )


class Attachment(BusModel):
    """A file sent with a message; `ref` points at content stored once (never inline bytes)."""

    name: str
    content_type: str = "application/octet-stream"
    size: int = Field(ge=0)
    ref: str | None = None
    external_id: str | None = None


class InboundMessage(BusModel):
    """A customer's message, normalized by its channel adapter. Published to `inbound.<ch>`."""

    id: str = Field(default_factory=new_id)
    channel: Channel
    account: str = Field(min_length=1, description="Which bot, mailbox or site received it")
    thread_key: str = Field(min_length=1, description="The platform's conversation id")
    external_id: str = Field(min_length=1, description="The platform's id of this message")
    sender: Sender
    text: str = ""
    html: str | None = None
    subject: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    reply_to_external_id: str | None = None
    references: list[str] = Field(
        default_factory=list,
        description="Platform ids of earlier messages this one answers (email In-Reply-To and "
        "References, Telegram's reply, VK's reply or forward); the store joins the message to "
        "the ticket that owns any of them before it looks at the thread key",
    )
    edit_of_external_id: str | None = Field(
        default=None, description="Set when this is an edit of an earlier message"
    )
    recipient: str | None = Field(default=None, description="The address written to (email)")
    department_hint: str | None = Field(
        default=None, description="Department the customer picked (bot menu, pre-chat form)"
    )
    ticket_number: int | None = Field(
        default=None,
        description="A ticket number the message names (an email subject's `[#1234]`): it "
        "joins that open ticket when written by the ticket's own contact",
    )
    ticket_token: str | None = Field(
        default=None,
        description="A ticket id the adapter verified from a signed token (an email "
        "reply-to address `support+<token>@…`): it joins that open ticket, whoever wrote",
    )
    tags: list[str] = Field(
        default_factory=list,
        description="What the channel recognized the message as (email: `auto-reply`, "
        "`bounce`, `bulk`); put on its ticket",
    )
    cc: list[str] = Field(
        default_factory=list, description="Other addresses the customer copied (email)"
    )
    consent: Literal["allowed", "denied"] | None = Field(
        default=None,
        description="Not a message: the customer allowed or turned off messages from us (VK's "
        "message_allow/message_deny); kept on the contact, no ticket is touched",
    )
    choice: str | None = Field(
        default=None,
        max_length=64,
        description="The data of a button the customer pressed (a bot menu, a rating); see "
        "`contracts.menus`",
    )
    sent_at: AwareDatetime | None = None
    received_at: AwareDatetime = Field(default_factory=utcnow)
    raw_ref: str | None = Field(default=None, description="Where the raw payload is kept")
    folded_from: int | None = Field(
        default=None,
        ge=1,
        description="Where quoted history or a signature begins in `text` (email): kept, and "
        "shown collapsed",
    )

    @property
    def dedupe_key(self) -> str:
        """`platform_key` of this message: sent as Nats-Msg-Id, unique in the store."""
        return platform_key(self.channel, self.account, self.external_id)


class Button(BusModel):
    """An inline button under an outbound message (bot menus, satisfaction ratings)."""

    text: str = Field(min_length=1)
    data: str | None = None
    url: str | None = None


class OutboundMessage(BusModel):
    """An agent's reply on its way to the customer. Published to `outbound.<ch>` by the store."""

    id: str = Field(default_factory=new_id, description="Outbound id; adapters dedupe on it")
    ticket_id: str
    message_id: str
    channel: Channel
    account: str
    thread_key: str
    text: str = ""
    html: str | None = None
    subject: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    buttons: list[list[Button]] = Field(default_factory=list)
    reply_to_external_id: str | None = Field(
        default=None, description="The platform id of the customer's message being answered"
    )
    references: list[str] = Field(
        default_factory=list, description="Platform ids of the conversation, oldest first"
    )
    recipient: str | None = Field(
        default=None, description="The customer's address where the channel needs one (email)"
    )
    cc: list[str] = Field(default_factory=list, description="Addresses copied on the reply")
    ticket_number: int | None = Field(default=None, description="For the email subject")
    department: str | None = Field(
        default=None, description="The ticket's department id (email: its signature)"
    )
    department_name: str | None = Field(
        default=None, description="Its name, which email shows as the sender's"
    )
    signature: str | None = Field(default=None, description="Its signature (email)")
    automatic: bool = Field(
        default=False, description="Sent by the desk itself (acknowledgements, follow-ups)"
    )
    created_at: AwareDatetime = Field(default_factory=utcnow)


DeliveryStatus = Literal["sent", "delivered", "read", "failed"]


class DeliveryReport(BusModel):
    """What happened to an outbound message. Published to `delivery.<ch>` by adapters.

    A report names the message by our ids (`message_id`, from the `OutboundMessage`) or, when
    the platform tells only its own id (Viber's `seen`, a web chat visitor's browser), by
    `external_id` alone: the store resolves the platform id it recorded when the message was
    sent."""

    outbound_id: str | None = None
    message_id: str | None = None
    ticket_id: str | None = None
    channel: Channel
    account: str
    status: DeliveryStatus
    external_id: str | None = None
    reason: str | None = None
    attempt: int = Field(default=1, ge=1)
    bounced: bool = Field(
        default=False,
        description="A failure found after the message was sent (an email bounce): it "
        "overrides `sent` and `delivered`, never `read`",
    )
    at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _names_a_message(self) -> "DeliveryReport":
        if self.message_id is None and self.external_id is None:
            raise ValueError("a delivery report names its message_id or its external_id")
        return self

    @property
    def platform_key(self) -> str | None:
        """`platform_key` of the message, the key the store indexes a sent message by."""
        if self.external_id is None:
            return None
        return platform_key(self.channel, self.account, self.external_id)
