"""What kind of mail this is when it is not a person writing: an auto-reply, a bounce (a
delivery failure report) or bulk mail. Pure.

Such mail is stored like any other, marked with its kind as a ticket tag, and never answered
or acknowledged automatically: two desks answering each other's auto-replies loop forever.
Headers decide first (RFC 3834 `Auto-Submitted`, Microsoft's `X-Auto-Response-Suppress`
family, `Precedence`, RFC 3464 reports); common subjects in English and Russian catch the
clients that set none.
"""

import re
from dataclasses import dataclass
from email.message import Message
from typing import Literal

Kind = Literal["auto-reply", "bounce", "bulk"]

AUTO_SUBJECTS = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|answer)|autoreply|out of (the )?office|"
    r"abwesenheitsnotiz|automatische antwort|автоответ|автоматический ответ|"
    r"нет на месте|отсутству(ю|ет)|в отпуске)",
    re.IGNORECASE,
)
BOUNCE_SUBJECTS = re.compile(
    r"^\s*(undeliver(ed|able)|delivery (status notification|has failed|failure)|"
    r"mail delivery failed|returned mail|failure notice|недоставлен|не доставлено|"
    r"ошибка доставки)",
    re.IGNORECASE,
)
DAEMONS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)


@dataclass(frozen=True)
class Bounce:
    """What a bounce says of the mail it returns: that mail's Message-ID (when it shows it)
    and why it was not delivered."""

    original_id: str | None
    reason: str


def kind_of(msg: Message, subject: str, sender: str) -> Kind | None:
    ctype = msg.get_content_type()
    if (ctype == "multipart/report" and msg.get_param("report-type") == "delivery-status") or (
        DAEMONS.match(sender) and (BOUNCE_SUBJECTS.match(subject) or _has_report(msg))
    ):
        return "bounce"
    if BOUNCE_SUBJECTS.match(subject) and _has_report(msg):
        return "bounce"
    auto_submitted = str(msg.get("auto-submitted", "")).strip().lower()
    precedence = str(msg.get("precedence", "")).strip().lower()
    if (
        (auto_submitted and auto_submitted != "no")
        or msg.get("x-autoreply") is not None
        or msg.get("x-autorespond") is not None
        or precedence == "auto_reply"
        or AUTO_SUBJECTS.match(subject)
    ):
        return "auto-reply"
    if precedence in ("bulk", "junk", "list") or msg.get("list-unsubscribe") is not None:
        return "bulk"
    return None


def _has_report(msg: Message) -> bool:
    return any(
        p.get_content_type() in ("message/delivery-status", "message/rfc822") for p in msg.walk()
    )


def bounce_of(msg: Message, text: str) -> Bounce:
    original = None
    reason = ""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status" and not reason:
            reason = _diagnostic(part)
        elif ctype in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _original_id(part)
    if not reason:
        reason = next(
            (line.strip() for line in text.splitlines() if re.search(r"\b5\d\d\b", line)), ""
        )
    return Bounce(original, reason[:500] or "the mail was returned as undeliverable")


def _diagnostic(part: Message) -> str:
    """`Diagnostic-Code`, else `Status` and `Action`, from an RFC 3464 report."""
    body = part.get_payload()
    blocks = [b for b in body if isinstance(b, Message)] if isinstance(body, list) else []
    fields: dict[str, str] = {}
    for block in blocks:
        for key in ("diagnostic-code", "status", "action", "final-recipient"):
            if block.get(key) is not None and key not in fields:
                fields[key] = " ".join(str(block.get(key)).split())
    if not blocks and isinstance(body, str):
        for key, value in re.findall(r"^([A-Za-z-]+):\s*(.+)$", body, re.MULTILINE):
            fields.setdefault(key.lower(), value.strip())
    if "diagnostic-code" in fields:
        code = fields["diagnostic-code"]
        return code.split(";", 1)[1].strip() if ";" in code else code
    if "status" in fields:
        return f"status {fields['status']} ({fields.get('action', 'failed')})"
    return ""


def _original_id(part: Message) -> str | None:
    found = None
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        found = inner[0].get("message-id")
    elif isinstance(inner, str):
        match = re.search(r"^message-id:\s*(.+)$", inner, re.IGNORECASE | re.MULTILINE)
        found = match.group(1) if match else None
    match = re.search(r"<([^<>\s]+)>", str(found)) if found else None
    return match.group(1) if match else None
