"""What the portal mails customers besides the sign-in link, and to whom. Pure.

Three notices, each only to a customer who turned it on in the portal (none is on until
then: a customer who wrote on Telegram never asked for mail): an agent's reply on a channel
other than mail (a mail conversation has the reply in the mailbox already), a ticket
resolved, and a weekly summary of the open ones. Every notice carries a signed link that
stops that notice in one click, in its text and as `List-Unsubscribe` with
`List-Unsubscribe-Post` (RFC 8058), so a mail client's own button works too. The notifier
(`notifier.py`) reads the events and the preferences and sends what this module decides.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Literal

from pydantic import AwareDatetime, BaseModel

from contracts import events as ev
from contracts.tickets import MACHINE_AUTHORS, ContactView, TicketView

Topic = Literal["replies", "resolved", "weekly"]
TOPICS: tuple[Topic, ...] = ("replies", "resolved", "weekly")
EXCERPT = 2000
NAMES = {
    "replies": ("ответы поддержки", "replies from support"),
    "resolved": ("решённые обращения", "resolved requests"),
    "weekly": ("еженедельная сводка", "the weekly summary"),
}
STATUS = {"open": ("открыто", "open"), "pending": ("ждёт вашего ответа", "waiting for you")}


class Prefs(BaseModel):
    """One address's choices; `weekly_since` keeps a summary from going out for the weeks
    before it was asked for."""

    email: str
    replies: bool = False
    resolved: bool = False
    weekly: bool = False
    weekly_since: AwareDatetime | None = None

    def wants(self, topic: Topic) -> bool:
        return bool(getattr(self, topic))

    def choose(self, replies: bool, resolved: bool, weekly: bool, now: datetime) -> "Prefs":
        since = self.weekly_since if self.weekly and weekly else (now if weekly else None)
        return Prefs(
            email=self.email, replies=replies, resolved=resolved, weekly=weekly, weekly_since=since
        )


def topic_of(event: ev.Event) -> Topic | None:
    """Which notice an event is, if any."""
    if isinstance(event, ev.MessageCreated):
        message = event.message
        person = message.author is not None and message.author not in MACHINE_AUTHORS
        if message.direction == "outbound" and person and event.ticket.channel != "email":
            return "replies"
    if isinstance(event, ev.TicketChanged) and "status" in event.fields:
        return "resolved" if event.ticket.status == "resolved" else None
    return None


def address_of(contact: ContactView | None) -> str | None:
    """Where a contact's notices go: their mail identity, else the address on the contact."""
    if contact is None:
        return None
    for identity in contact.identities:
        if identity.startswith("email:"):
            return identity.removeprefix("email:").lower()
    return contact.email.strip().lower() if contact.email else None


def last_slot(now: datetime, weekday: int, hour: int) -> datetime:
    """The latest weekly summary time (UTC) at or before `now`."""
    today = now.astimezone(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    slot = today - timedelta(days=(today.weekday() - weekday) % 7)
    return slot if slot <= now else slot - timedelta(days=7)


def summary_due(prefs: Prefs, slot: datetime) -> bool:
    return prefs.weekly and prefs.weekly_since is not None and prefs.weekly_since < slot


def _title(ticket: TicketView) -> str:
    return f"№{ticket.number} {ticket.subject}".strip()


def reply_text(ticket: TicketView, text: str, portal: str) -> tuple[str, str]:
    excerpt = text if len(text) <= EXCERPT else text[:EXCERPT] + "…"
    subject = f"Ответ по обращению / Reply on request {_title(ticket)}"
    body = (
        f"Поддержка ответила на ваше обращение {_title(ticket)}:\n"
        f"Support replied to your request:\n\n{excerpt}\n\n"
        f"Вся переписка / The whole conversation: {portal}\n"
    )
    return subject, body


def resolved_text(ticket: TicketView, portal: str) -> tuple[str, str]:
    subject = f"Обращение решено / Request resolved: {_title(ticket)}"
    body = (
        f"Ваше обращение {_title(ticket)} решено. Если вопрос остался, просто ответьте в нём.\n"
        f"Your request is resolved. If something is left, just answer in it.\n\n{portal}\n"
    )
    return subject, body


def summary_text(tickets: Sequence[TicketView], portal: str) -> tuple[str, str]:
    lines = [
        f"- {_title(t)}: {' / '.join(STATUS.get(t.status, (t.status, t.status)))}, "
        f"{t.updated_at.astimezone(UTC):%Y-%m-%d}"
        for t in tickets
    ]
    subject = f"Ваши открытые обращения: {len(tickets)} / Your open requests: {len(tickets)}"
    body = "Открытые обращения / Open requests:\n\n" + "\n".join(lines) + f"\n\n{portal}\n"
    return subject, body


def compose(
    sender: str, to: str, topic: Topic, subject: str, body: str, unsubscribe: tuple[str, str]
) -> EmailMessage:
    """`unsubscribe`: the page a person opens and the address a mail client posts to."""
    page, one_click = unsubscribe
    ru, en = NAMES[topic]
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain=sender.partition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # no desk answers it (RFC 3834)
    mail.set_raw("List-Unsubscribe", f"<{one_click}>")  # never refolded: see mail.WIRE
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(
        f"{body}\n--\nНе присылать «{ru}» / Stop {en}: {page}\n"
        "Все настройки — в разделе «Уведомления» портала. / All choices are under "
        "Notifications in the portal.\n"
    )
    return mail
