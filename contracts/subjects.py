"""Every NATS subject name; the only place subject strings are written. Pure."""

import zlib

from contracts.channels import Channel

INBOUND_ALL = "inbound.>"
OUTBOUND_ALL = "outbound.>"
DELIVERY_ALL = "delivery.>"
EVENTS_ALL = "events.>"
EVENTS_TICKET = "events.ticket.*"
EVENTS_MESSAGE = "events.message.*"
COMMANDS_ALL = "commands.ticket.*"
COMMAND_BATCH = "commands.batch"
QUERIES_ALL = "queries.ticket.*"
DIRECTORY_COMMANDS_ALL = "commands.directory.*"
DIRECTORY_QUERIES_ALL = "queries.directory.*"
DEAD_LETTER_ALL = "deadletter.>"
WEBCHAT_ALL = "webchat.>"
TYPING_CUSTOMER = "typing.customer"


def inbound(channel: Channel) -> str:
    """`inbound.<channel>`: normalized customer messages from one adapter."""
    return f"inbound.{channel}"


def outbound(channel: Channel) -> str:
    """`outbound.<channel>`: agent replies for one adapter to deliver, as published before
    replies were partitioned (still drained by every adapter after an upgrade)."""
    return f"outbound.{channel}"


def outbound_replies(channel: Channel) -> str:
    """`outbound.<channel>.*`: every partition's replies of one channel (to watch them all)."""
    return f"outbound.{channel}.*"


def outbound_partition(channel: Channel, partition: int) -> str:
    """`outbound.<channel>.<n>`: the replies of the chats hashed to partition `n`."""
    return f"outbound.{channel}.{partition}"


def partition_of(account: str, thread_key: str, partitions: int) -> int:
    """The partition a chat's replies go to: the same for every reply of one conversation, so
    the one replica holding it sends them in order. CRC-32, as NATS's own `partition()`
    mapping uses FNV over subject tokens: a thread key (an email Message-ID, a VK peer) is
    not a subject token, so the publisher hashes it instead of the server."""
    return zlib.crc32(f"{account}\x00{thread_key}".encode()) % partitions


def outbound_chat(channel: Channel, account: str, thread_key: str, partitions: int) -> str:
    """Where a reply to one chat is published."""
    return outbound_partition(channel, partition_of(account, thread_key, partitions))


def delivery(channel: Channel) -> str:
    """`delivery.<channel>`: delivery reports from one adapter."""
    return f"delivery.{channel}"


def event(event_type: str) -> str:
    """`events.<type>`, e.g. `events.ticket.created` for type `ticket.created`."""
    return f"events.{event_type}"


def command(name: str) -> str:
    """`commands.ticket.<name>`: a store command (request/reply)."""
    return f"commands.ticket.{name}"


def query(name: str) -> str:
    """`queries.ticket.<name>`: a store read (request/reply)."""
    return f"queries.ticket.{name}"


def report_query(table: str) -> str:
    """`queries.reports.<table>`: a report table from the reports service (request/reply)."""
    return f"queries.reports.{table}"


REPORT_QUERIES_ALL = "queries.reports.*"
REPORTS_REBUILD = "commands.reports.rebuild"
# The inbox asks the portal for a sign-in link for a ticket's customer (request/reply).
PORTAL_LINK = "portal.link"


def dead_letter(subject: str) -> str:
    """Where a message that cannot be processed is kept for operators: `deadletter.<subject>`."""
    return f"deadletter.{subject}"


def directory_command(name: str) -> str:
    """`commands.directory.<name>`: change an agent, department, template or the rules."""
    return f"commands.directory.{name}"


def directory_query(name: str) -> str:
    """`queries.directory.<name>`: read the directory (`get`) or a login's `credentials`."""
    return f"queries.directory.{name}"


def webchat_transcript(account: str, visitor: str) -> str:
    """`webchat.<account>.<visitor>`: what one web chat visitor sees of their conversation."""
    return f"webchat.{account}.{visitor}"


def typing_agent(channel: Channel) -> str:
    """`typing.agent.<channel>`: an agent is typing to a customer of this channel (core NATS)."""
    return f"typing.agent.{channel}"
