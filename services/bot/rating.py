"""Satisfaction ratings: when a resolved ticket is asked, how the question looks in the
messengers (buttons 1-5) and in email (a signed one-click link per score), and when a rating
may still be given or changed. Pure.

Link tokens are `<ticket id>.<score>.<HMAC-SHA256, 32 hex>`: whoever holds the mail can rate
that ticket with that score, nothing else; any other token is refused.
"""

import hashlib
import hmac
import re
from datetime import datetime, timedelta

from contracts.directory import DepartmentView
from contracts.menus import rating_choice
from contracts.messages import Button
from contracts.tickets import MACHINE_MAIL, Rating, TicketView

WINDOW = timedelta(hours=24)
NOT_ASKED = MACHINE_MAIL | {"spam"}
QUESTION = {
    "ru": "Заявка №{number} решена. Оцените, пожалуйста, нашу помощь: 1 — плохо, 5 — отлично.",
    "en": "Ticket #{number} is resolved. How did we do? 1 is poor, 5 is excellent.",
}
THANKS = {
    "ru": "Спасибо за оценку! Если хотите, напишите комментарий одним сообщением.",
    "en": "Thank you for rating us! If you like, write a comment in one message.",
}
COMMENTED = {"ru": "Спасибо, передали ваш комментарий.", "en": "Thank you, we passed it on."}
_CHOICE = re.compile(r"^r:([0-9a-f]{32}):([1-5])$")
_TOKEN = re.compile(r"^([0-9a-f]{32})\.([1-5])\.([0-9a-f]{32})$")


def askable(ticket: TicketView, department: DepartmentView | None) -> bool:
    """A resolution is rated when its department asks, unless the ticket is a machine's mail,
    spam, or merged away."""
    if department is None or not department.csat or ticket.merged_into:
        return False
    return not NOT_ASKED & set(ticket.tags)


def buttons(ticket_id: str) -> list[list[Button]]:
    return [[Button(text=str(n), data=rating_choice(ticket_id, n)) for n in range(1, 6)]]


def parse(choice: str | None) -> tuple[str, int] | None:
    """The ticket and score a rating button names."""
    found = _CHOICE.match(choice or "")
    return (found.group(1), int(found.group(2))) if found else None


def open_for(rating: Rating | None, now: datetime) -> bool:
    """A rating may be given, or changed, for 24 hours after the question."""
    return rating is not None and now - rating.asked_at <= WINDOW


def sign(key: bytes, ticket_id: str, score: int) -> str:
    mac = hmac.new(key, f"rate:{ticket_id}:{score}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{ticket_id}.{score}.{mac}"


def verify(key: bytes, token: str) -> tuple[str, int] | None:
    found = _TOKEN.match(token)
    if not found:
        return None
    ticket_id, score = found.group(1), int(found.group(2))
    return (ticket_id, score) if hmac.compare_digest(sign(key, ticket_id, score), token) else None
