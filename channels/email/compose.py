"""An agent's reply as a mail: From with the department's (or the mailbox's) name, a
Reply-To carrying the ticket's signed token, a Message-ID made from the outbound id (a retry
sends the same one), In-Reply-To and References so the customer's client threads it, the
ticket number in the subject, the signature, text and HTML parts and the files. Pure.
"""

from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from html import escape

from channels.email import tokens
from channels.email.settings import MailAccount
from contracts.base import utcnow
from contracts.messages import Button, OutboundMessage
from services.bot.rating import parse as parse_rating

REPLY_PREFIX = ("re:", "aw:", "sv:", "ответ:", "re[")
IDS = ("message-id", "in-reply-to", "references")


class MailPolicy(EmailPolicy):
    """SMTP's policy, except that id headers are folded only between ids. The standard
    policy treats In-Reply-To and References as free text and turns an id longer than a
    line into an encoded word, which no mail client reads as an id: threading breaks."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() in IDS:
            return f"{name}: " + f"{self.linesep} ".join(str(value).split()) + self.linesep
        folded: str = super().fold(name, value)
        return folded

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in IDS:
            return self.fold(name, value).encode("ascii", "surrogateescape")
        return super().fold_binary(name, value)


POLICY = MailPolicy(linesep="\r\n")


def message_id(out: OutboundMessage, hostname: str) -> str:
    return f"{out.id}@{hostname}"


def subject_of(out: OutboundMessage) -> str:
    subject = " ".join((out.subject or "").split()) or "Ваше обращение / Your request"
    if out.ticket_number is not None and f"[#{out.ticket_number}]" not in subject:
        subject = f"[#{out.ticket_number}] {subject}"
    if out.reply_to_external_id and not subject.lower().startswith(REPLY_PREFIX):
        subject = f"Re: {subject}"
    return subject


def choices(buttons: list[list[Button]], rating_link: Callable[[str, int], str]) -> str:
    """Buttons as mail shows them: a rating as one signed link per score (one click, no
    login); a menu as a numbered list the customer answers by number."""
    flat = [b for row in buttons for b in row]
    lines = []
    for n, b in enumerate(flat, 1):
        rated = parse_rating(b.data)
        if rated is not None:
            lines.append(f"{b.text}: {rating_link(*rated)}")
        elif b.url:
            lines.append(f"{b.text}: {b.url}")
        else:
            lines.append(f"{n}. {b.text}")
    if any(parse_rating(b.data) is None and not b.url for b in flat):
        lines.append("Ответьте цифрой · Reply with the number")
    return "\n".join(lines)


def compose(
    out: OutboundMessage,
    account: MailAccount,
    secret: bytes,
    hostname: str,
    files: list[tuple[str, str, bytes]],
    rating_link: Callable[[str, int], str] | None = None,
) -> EmailMessage:
    """`files`: (name, content type, bytes) of the reply's attachments, already read;
    `rating_link(ticket id, score)`: the signed link a rating button becomes."""
    if not out.recipient:
        raise ValueError("the customer has no email address to answer")
    msg = EmailMessage(policy=POLICY)
    msg["Message-ID"] = f"<{message_id(out, hostname)}>"
    msg["Date"] = format_datetime(utcnow())
    msg["From"] = Address(
        display_name=out.department_name or account.name, addr_spec=account.address
    )
    msg["To"] = out.recipient
    if account.copy_cc and out.cc:
        msg["Cc"] = ", ".join(out.cc)
    msg["Reply-To"] = tokens.reply_address(secret, account.address, out.ticket_id)
    msg["Subject"] = subject_of(out)
    if out.reply_to_external_id:
        msg["In-Reply-To"] = f"<{out.reply_to_external_id}>"
    if out.references:
        msg["References"] = " ".join(f"<{ref}>" for ref in out.references)
    if out.automatic:
        msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: no auto-reply answers it
    signature = out.signature or account.signature
    body = out.text
    if out.buttons:
        body = f"{body}\n\n{choices(out.buttons, rating_link or _no_link)}"
    text = f"{body}\n\n-- \n{signature}" if signature else body
    msg.set_content(text)
    if out.html:
        html_signature = escape(signature).replace("\n", "<br>")
        tail = f'<div class="signature">-- <br>{html_signature}</div>' if signature else ""
        msg.add_alternative(f"{out.html}{tail}", subtype="html")
    for name, content_type, data in files:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=name,
        )
    return msg


def _no_link(ticket_id: str, score: int) -> str:
    return str(score)
