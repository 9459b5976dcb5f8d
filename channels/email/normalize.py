"""A parsed mail as the `InboundMessage` the store keeps. Pure.

The conversation is the mail's thread root (the first of its References), so a reply whose
ids are unknown to us still finds its conversation; the ids themselves, a verified reply
token and a `[#number]` subject let the store join the right ticket first.
"""

from datetime import datetime

from channels.email import quotes, tokens
from channels.email.mime import ParsedMail
from channels.email.settings import MailAccount
from contracts.messages import Attachment, InboundMessage, Sender

# A bus message may be 1 MB (NATS's max_payload): a mail's text and HTML are cut to fit, and
# the whole mail stays in its original (`raw_ref`), one click away for the agent.
MAX_TEXT_BYTES = 256_000
MAX_HTML_BYTES = 512_000
CUT = "\n\n[…] The rest of this mail is in the original message."
DAEMON = Sender(channel_user_id="mailer-daemon", display_name="Mail Delivery System")


def to_inbound(
    mail: ParsedMail,
    account: MailAccount,
    envelope: list[str],
    secret: bytes,
    raw_ref: str | None,
    attachments: list[Attachment],
) -> InboundMessage:
    """`envelope`: the addresses the mail was delivered to (SMTP RCPT TO; for IMAP, its
    headers), which may carry the reply token where the To header does not."""
    recipients = [*envelope, *mail.recipients]
    ours = set(account.addresses)
    sender = _sender(mail)
    text = mail.text if _fits(mail.text, MAX_TEXT_BYTES) else _cut(mail.text, MAX_TEXT_BYTES)
    copied = [
        a.email.lower()
        for a in [*mail.to, *mail.cc]
        if tokens.base_address(a.email) not in ours and a.email.lower() != sender.email
    ]
    return InboundMessage(
        channel="email",
        account=account.account,
        thread_key=mail.root_id,
        external_id=mail.message_id,
        sender=sender,
        text=text,
        html=mail.html if mail.html is not None and _fits(mail.html, MAX_HTML_BYTES) else None,
        subject=mail.subject[:1000] or None,
        attachments=attachments,
        references=mail.thread_ids,
        recipient=next((r for r in recipients if tokens.base_address(r) in ours), None),
        ticket_number=mail.ticket_number,
        ticket_token=tokens.ticket_of(secret, recipients),
        tags=[mail.kind] if mail.kind else [],
        cc=list(dict.fromkeys(copied)),
        sent_at=mail.date,
        raw_ref=raw_ref,
        folded_from=quotes.fold_point(text),
    )


def _fits(text: str, limit: int) -> bool:
    return len(text) <= limit // 4 or len(text.encode()) <= limit


def _cut(text: str, limit: int) -> str:
    return text.encode()[:limit].decode(errors="ignore") + CUT


def _sender(mail: ParsedMail) -> Sender:
    if mail.sender is None:
        return DAEMON  # bounces often have no From; the message is kept all the same
    address = mail.sender.email.lower()
    return Sender(
        channel_user_id=address,
        email=address,
        display_name=mail.sender.name or None,
        timezone=_offset(mail.date),
    )


def _offset(date: datetime | None) -> str | None:
    """The writer's UTC offset from the Date header ('+03:00'): their local time, roughly
    (a mail client's clock, not a zone; many servers rewrite it to UTC, which says nothing)."""
    offset = date.utcoffset() if date is not None and date.tzinfo is not None else None
    if offset is None or not offset:
        return None
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
