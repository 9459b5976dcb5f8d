"""One realistic instance of every bus model, in the scripts our customers write in."""

from datetime import UTC, datetime

from pydantic import BaseModel

from contracts import commands as c
from contracts import events as ev
from contracts import queries as q
from contracts.messages import (
    Attachment,
    Button,
    DeliveryReport,
    InboundMessage,
    OutboundMessage,
    Sender,
)
from contracts.tickets import ContactView, MessageView, TicketView

AT = datetime(2026, 11, 29, 10, 30, tzinfo=UTC)
TEXTS = {
    "ru": "Здравствуйте! Не работает оплата картой «Мир» — срочно 🙏",
    "th": "สวัสดีครับ ระบบชำระเงินไม่ทำงาน",
    "hi": "नमस्ते, भुगतान काम नहीं कर रहा है",
    "emoji": "👍🏽 👨‍👩‍👧 🇷🇺",
}
SENDER = Sender(
    channel_user_id="123456789",
    display_name="Анна Петрова",
    username="anna_p",
    language="ru",
)
INBOUND = InboundMessage(
    id="m1",
    channel="telegram",
    account="support_bot",
    thread_key="123456789",
    external_id="4711",
    sender=SENDER,
    text=TEXTS["ru"],
    attachments=[Attachment(name="чек.pdf", content_type="application/pdf", size=20480, ref="f/1")],
    sent_at=AT,
    received_at=AT,
)
TICKET = TicketView(
    id="t1",
    number=1042,
    subject=TEXTS["th"],
    channel="telegram",
    account="support_bot",
    thread_key="123456789",
    contact_id="c1",
    tags=["оплата"],
    department="billing",
    created_at=AT,
    updated_at=AT,
    version=3,
)
MESSAGE = MessageView(
    id="m1", ticket_id="t1", direction="inbound", text=TEXTS["hi"], author="c1", created_at=AT
)
CONTACT = ContactView(id="c1", name="Анна Петрова", identities=["telegram:123456789"])

SAMPLES: dict[str, BaseModel] = {
    "inbound_message": INBOUND,
    "outbound_message": OutboundMessage(
        id="o1",
        ticket_id="t1",
        message_id="m2",
        channel="telegram",
        account="support_bot",
        thread_key="123456789",
        text=TEXTS["emoji"],
        buttons=[[Button(text="Оценить 👍", data="csat:5")]],
        created_at=AT,
    ),
    "delivery_report": DeliveryReport(
        outbound_id="o1",
        message_id="m2",
        ticket_id="t1",
        channel="telegram",
        account="support_bot",
        status="failed",
        reason="Forbidden: bot was blocked by the user",
        at=AT,
    ),
    "ticket_created": ev.TicketCreated(id="e1", ticket=TICKET, contact=CONTACT, at=AT),
    "ticket_assigned": ev.TicketAssigned(
        id="e2", ticket=TICKET, actor="router", reason="least_loaded", at=AT
    ),
    "message_created": ev.MessageCreated(id="e3", ticket=TICKET, message=MESSAGE, at=AT),
    "add_reply": c.AddReply(actor="agent-7", ticket_id="t1", text=TEXTS["ru"], expected_version=3),
    "transfer_ticket": c.TransferTicket(actor="agent-7", ticket_id="t1", department="tech"),
    "command_error": c.CommandError(code="conflict", message="ticket 1042 changed", field="v"),
    "list_tickets": q.ListTickets(q="оплата", departments=["billing"], status=["open"]),
}
