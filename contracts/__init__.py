"""The bus API of Relay Desk: every message, subject and stream the services share.

Pure: pydantic models and plain definitions, no I/O. Imports nothing from the project.
Design: shared/DESIGN.md §3.
"""

from contracts.channels import CHANNELS, Channel
from contracts.commands import (
    AddNote,
    AddReply,
    AssignTicket,
    Command,
    CommandError,
    CommandOk,
    CreateTicket,
    MergeTicket,
    SetPriority,
    SetStatus,
    SplitTicket,
    TagTicket,
    TransferTicket,
    UpdateContact,
)
from contracts.events import (
    Event,
    MessageCreated,
    MessageUpdated,
    TicketAssigned,
    TicketChanged,
    TicketCreated,
    TicketMerged,
    TicketReopened,
    TicketSplit,
    TicketTransferred,
    parse_event,
)
from contracts.messages import (
    Attachment,
    Button,
    DeliveryReport,
    InboundMessage,
    OutboundMessage,
    Sender,
)
from contracts.tickets import (
    ContactView,
    Direction,
    MessageView,
    Priority,
    Status,
    TicketView,
)

__all__ = [
    "CHANNELS",
    "AddNote",
    "AddReply",
    "AssignTicket",
    "Attachment",
    "Button",
    "Channel",
    "Command",
    "CommandError",
    "CommandOk",
    "ContactView",
    "CreateTicket",
    "DeliveryReport",
    "Direction",
    "Event",
    "InboundMessage",
    "MergeTicket",
    "MessageCreated",
    "MessageUpdated",
    "MessageView",
    "OutboundMessage",
    "Priority",
    "Sender",
    "SetPriority",
    "SetStatus",
    "SplitTicket",
    "Status",
    "TagTicket",
    "TicketAssigned",
    "TicketChanged",
    "TicketCreated",
    "TicketMerged",
    "TicketReopened",
    "TicketSplit",
    "TicketTransferred",
    "TicketView",
    "TransferTicket",
    "UpdateContact",
    "parse_event",
]
