"""What the desk writes to a customer by itself: the acknowledgement of a new ticket and the
reminder on a pending one, in the customer's language and time. Pure.

Templates are per department and language (`DepartmentView.acknowledgement`, `.reminder`);
these placeholders are filled in: `{greeting}` (good morning/afternoon/evening by the
customer's local time), `{customer_name}`, `{customer_time}`, `{ticket_number}`,
`{department}`, and `{expectation}` (when to expect an answer, from the calendar and the SLA).
Russian needs its own plural and case forms, written out here: no library on PyPI we trust
does Russian numerals in the genitive that `в течение` wants.
"""

import re
import string
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contracts.directory import DepartmentView
from contracts.service_levels import BusinessCalendar
from contracts.tickets import ContactView, TicketView
from services.sla import business_hours as bh

ACKNOWLEDGEMENT = {
    "en": "{greeting}! We have your request: ticket #{ticket_number}. {expectation}",
    "ru": "{greeting}! Мы получили ваше обращение: заявка №{ticket_number}. {expectation}",
}
REMINDER = {
    "en": "{greeting}! Ticket #{ticket_number} is waiting for your answer. Reply to this message "
    "and we will carry on.",
    "ru": "{greeting}! Заявка №{ticket_number} ждёт вашего ответа. Ответьте на это сообщение, "
    "и мы продолжим.",
}
# The languages the desk writes in by itself (the built-in texts have both).
LANGUAGES = {"en": "English", "ru": "Русский"}
_GREETINGS = {
    "en": ("Hello", "Good morning", "Good afternoon", "Good evening"),
    "ru": ("Здравствуйте", "Доброе утро", "Добрый день", "Добрый вечер"),
}
_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    # After "в": the accusative.
    "ru": ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье"),
}
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")


def language_of(ticket: TicketView, contact: ContactView | None, texts: dict[str, str]) -> str:
    """The customer's language when there is a text in it, else English, else any."""
    for lang in (ticket.language, contact.language if contact else None):
        if lang and lang[:2].lower() in texts:
            return lang[:2].lower()
    return "en" if "en" in texts else next(iter(texts))


def zone(name: str | None) -> tzinfo | None:
    """An IANA zone, or a fixed UTC offset such as '+03:00' (what a mail's Date tells)."""
    if not name:
        return None
    if found := _OFFSET.match(name.strip()):
        sign, hours, minutes = found.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-delta if sign == "-" else delta) if delta <= timedelta(hours=14) else None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def greeting(lang: str, local: datetime | None) -> str:
    words = _GREETINGS.get(lang, _GREETINGS["en"])
    if local is None:
        return words[0]
    hour = local.hour
    return (
        words[1]
        if 5 <= hour < 12
        else words[2]
        if 12 <= hour < 18
        else words[3]
        if 18 <= hour < 23
        else words[0]
    )


def duration(lang: str, minutes: int, working: bool) -> str:
    """'2 working hours' / '2 рабочих часов' (genitive, after 'в течение')."""
    hours, unit = (minutes // 60, "h") if minutes % 60 == 0 else (minutes, "m")
    if lang == "ru":
        one = hours % 10 == 1 and hours % 100 != 11
        noun = ("часа" if one else "часов") if unit == "h" else ("минуты" if one else "минут")
        adjective = ("рабочего " if one else "рабочих ") if working else ""
        return f"{hours} {adjective}{noun}"
    noun = (
        ("hour" if hours == 1 else "hours")
        if unit == "h"
        else ("minute" if hours == 1 else "minutes")
    )
    return f"{hours} {'working ' if working else ''}{noun}"


def when(lang: str, at: datetime, now: datetime) -> str:
    """'today at 10:00', 'tomorrow at 10:00', 'Monday 10:00', or a date beyond a week."""
    clock = at.strftime("%H:%M")
    days = (at.date() - now.astimezone(at.tzinfo).date()).days
    if lang == "ru":
        if days == 0:
            return f"сегодня к {clock}"
        if days == 1:
            return f"завтра к {clock}"
        if days < 7:
            return f"к {clock} в {_WEEKDAYS['ru'][at.weekday()]}"
        return f"к {clock} {at.strftime('%d.%m')}"
    if days == 0:
        return f"today by {clock}"
    if days == 1:
        return f"tomorrow by {clock}"
    if days < 7:
        return f"by {_WEEKDAYS['en'][at.weekday()]} {clock}"
    return f"by {at.strftime('%d %b')} {clock}"


def expectation(
    lang: str,
    cal: BusinessCalendar,
    minutes: int | None,
    due: datetime | None,
    now: datetime,
    tz: tzinfo | None,
) -> str:
    """When the customer may expect an answer, as a sentence."""
    shown_in = tz or bh.zone(cal.timezone)
    label = (
        "" if tz else f" ({cal.timezone})" if not cal.always_open and cal.timezone != "UTC" else ""
    )
    open_now = bh.is_open(cal, now)
    working = not cal.always_open
    if minutes is None or due is None:
        if open_now:
            return ""
        start = when(lang, bh.next_open(cal, now).astimezone(shown_in), now)
        if lang == "ru":
            return f"Сейчас нерабочее время; мы ответим, как только начнём работу ({start}{label})."
        return f"It is outside working hours now; we will answer once we are back ({start}{label})."
    within = duration(lang, minutes, working)
    if open_now:
        return f"Мы отвечаем в течение {within}." if lang == "ru" else f"We answer within {within}."
    by = when(lang, due.astimezone(shown_in), now) + label
    if lang == "ru":
        return f"Мы отвечаем в течение {within}; сейчас нерабочее время, поэтому ответим {by}."
    return f"We answer within {within}; it is outside working hours now, so expect us {by}."


def render(
    template: str,
    ticket: TicketView,
    contact: ContactView | None,
    department: DepartmentView | None,
    lang: str,
    now: datetime,
    expected: str = "",
) -> str:
    """Fill the placeholders; unknown ones are left as written (an admin's typo shows)."""
    tz = zone(contact.timezone if contact else None)
    local = now.astimezone(tz) if tz else None
    values = {
        "greeting": greeting(lang, local),
        "customer_name": (contact.name if contact else None) or "",
        "customer_time": local.strftime("%H:%M") if local else "",
        "ticket_number": str(ticket.number),
        "department": department.name if department else "",
        "expectation": expected,
    }
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            out.append(values[field] if field in values else "{" + field + "}")
    return "".join(out).strip()


def acknowledgement(
    ticket: TicketView,
    contact: ContactView | None,
    department: DepartmentView | None,
    now: datetime,
) -> str:
    texts = {**ACKNOWLEDGEMENT, **(department.acknowledgement if department else {})}
    lang = language_of(ticket, contact, texts)
    cal = department.calendar if department and department.calendar else bh.ALWAYS
    clock = ticket.sla.clock("first_response") if ticket.sla else None
    tz = zone(contact.timezone if contact else None)
    expected = expectation(
        lang, cal, clock.minutes if clock else None, clock.due_at if clock else None, now, tz
    )
    return render(texts[lang], ticket, contact, department, lang, now.astimezone(UTC), expected)


def reminder(
    ticket: TicketView,
    contact: ContactView | None,
    department: DepartmentView | None,
    now: datetime,
) -> str:
    texts = {**REMINDER, **(department.reminder if department else {})}
    lang = language_of(ticket, contact, texts)
    return render(texts[lang], ticket, contact, department, lang, now)
