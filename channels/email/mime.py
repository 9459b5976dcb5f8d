"""A raw mail (RFC 5322 bytes) read into a `ParsedMail`: who wrote it, to whom, its subject,
its text and sanitized HTML, its files, the ids that thread it, and what kind of mail it is.
Pure: no I/O.

The standard library's `email` package does the MIME work (RFC 2231 parameters, transfer
encodings, nested multiparts), with its `compat32` policy: headers are decoded here, from
their raw values (`charsets.py`: RFC 2047 words split inside a character, raw 8-bit bytes,
charsets declared wrong or unknown), so `policy.default`'s header objects, which re-parse a
header on every access and cost two thirds of the parse time, buy nothing. What this module
adds is that decoding, the choice of body among the alternatives and the files. HTML is
sanitized with nh3; text is derived from HTML when there is no text part (`html_text.py`).
Kinds (auto-reply, bounce, bulk) are `kinds.py`'s.
"""

import email
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.policy import compat32
from html import escape

import nh3

from channels.email.charsets import (
    decode_bytes,
    has_raw_bytes,
    header_text,
    raw_headers,
    readable,
    text_charset,
)
from channels.email.html_text import html_to_text
from channels.email.kinds import Bounce, Kind, bounce_of, kind_of

MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
TICKET_NUMBER = re.compile(r"\[#(\d{1,12})\]")
HTML_TAGS = nh3.ALLOWED_TAGS | {"font", "center"}
RAW_NAME = re.compile(r'(?i)\b(file)?name\s*=\s*"([^"]*)"')
HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
MAX_DEPTH = 40
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


@dataclass(frozen=True)
class Address:
    email: str
    name: str = ""


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    data: bytes
    content_id: str | None = None
    inline: bool = False


@dataclass
class ParsedMail:
    message_id: str
    """Without angle brackets; a hash of the raw source when the mail has none."""
    sender: Address | None
    subject: str = ""
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    html: str | None = None
    files: list[File] = field(default_factory=list)
    kind: Kind | None = None
    bounce: Bounce | None = None
    defects: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return "text/html" if self.html is not None else "text/plain"

    @property
    def thread_ids(self) -> list[str]:
        """Ids of earlier mails this one answers, the nearest first (In-Reply-To, then
        References from the newest back), each once."""
        seen: dict[str, None] = {}
        for ref in [*self.in_reply_to, *reversed(self.references)]:
            seen.setdefault(ref, None)
        seen.pop(self.message_id, None)
        return list(seen)

    @property
    def root_id(self) -> str:
        """The first mail of the conversation, as far as this one tells."""
        return (self.references or self.in_reply_to or [self.message_id])[0]

    @property
    def ticket_number(self) -> int | None:
        found = TICKET_NUMBER.search(self.subject)
        return int(found.group(1)) if found else None

    @property
    def recipients(self) -> list[str]:
        """Every address this copy was for, lowercased: To, Cc and the delivery headers."""
        found = [a.email.lower() for a in [*self.to, *self.cc]]
        return list(dict.fromkeys([*found, *(d.lower() for d in self.delivered_to)]))


def parse(raw: bytes) -> ParsedMail:
    """Never raises on a mail's content: what cannot be read is left out and named in
    `defects`, and the caller keeps the raw source next to what was read."""
    msg = email.message_from_bytes(_headers_first(raw), policy=compat32)
    defects = [type(d).__name__ for d in msg.defects]
    hint = text_charset(msg)
    message_id = _ids(msg, "message-id")
    mail = ParsedMail(
        message_id=message_id[0] if message_id else _hash_id(raw),
        sender=_sender(msg, defects, hint),
        subject=_one_line(header_text(msg, "subject", hint)),
        to=_addresses(msg, "to", defects, hint),
        cc=_addresses(msg, "cc", defects, hint),
        reply_to=_addresses(msg, "reply-to", defects, hint),
        delivered_to=[
            a.email
            for name in ("delivered-to", "x-original-to", "envelope-to")
            for a in _addresses(msg, name, defects, hint)
        ],
        in_reply_to=_ids(msg, "in-reply-to"),
        references=_ids(msg, "references"),
        date=_date(msg),
        defects=defects,
    )
    bodies: list[tuple[str, str]] = []
    _collect(msg, bodies, mail.files, defects, hint)
    if any(kind == "html" for kind, _ in bodies):
        # Parts in sequence (a text, then an HTML signature) are shown in sequence.
        mail.html = sanitize(
            "\n".join(
                text if kind == "html" else f"<div>{escape(text)}</div>".replace("\n", "<br>\n")
                for kind, text in bodies
                if kind != "alt-text"
            )
        )
    plain = [text for kind, text in bodies if kind in ("text", "alt-text") and text.strip()]
    mail.text = "\n\n".join(plain) or (html_to_text(mail.html) if mail.html else "")
    mail.kind = kind_of(msg, mail.subject, mail.sender.email if mail.sender else "")
    if mail.kind == "bounce":
        mail.bounce = bounce_of(msg, mail.text)
    return mail


def sanitize(html: str) -> str:
    """What a browser may show of a customer's HTML: no script, style, event handler or
    remote frame; links open apart; inline images (`cid:`) stay addressable."""
    return nh3.clean(
        html,
        tags=HTML_TAGS,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _collect(
    part: Message,
    bodies: list[tuple[str, str]],
    files: list[File],
    defects: list[str],
    hint: str | None,
    depth: int = 0,
) -> None:
    """Walks the tree, keeping the bodies in order as ("text" | "html" | "alt-text", text)
    and every other leaf as a file. Of a `multipart/alternative`, the HTML is the body and
    its text ("alt-text") is the plain body, never shown twice. An attached mail
    (`message/rfc822`) is kept whole as a `.eml` file."""
    ctype = part.get_content_type()
    if depth > MAX_DEPTH:  # a hostile nest of parts: kept whole, not walked
        defects.append(f"parts nested deeper than {MAX_DEPTH}")
        files.append(File("nested.eml", "message/rfc822", part.as_bytes()))
        return
    if part.is_multipart() and ctype != "message/rfc822":
        payload = part.get_payload()
        children = (
            [c for c in payload if isinstance(c, Message)] if isinstance(payload, list) else []
        )
        kinds = [c.get_content_type() for c in children]
        if ctype == "multipart/alternative" and "text/plain" in kinds and len(kinds) > 1:
            text_part = children[kinds.index("text/plain")]
            bodies.append(("alt-text", _text_of(text_part, defects)))
            children = [c for c in children if c is not text_part]
        for child in children:
            _collect(child, bodies, files, defects, hint, depth + 1)
        return
    if not _is_body(part):
        files.append(_file(part, defects, hint))
        return
    bodies.append(("html" if ctype == "text/html" else "text", _text_of(part, defects)))


def _is_body(part: Message) -> bool:
    if part.get_content_type() not in ("text/plain", "text/html"):
        return False
    return part.get_content_disposition() != "attachment" and not part.get_filename()


def _text_of(part: Message, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text, trouble = decode_bytes(payload, part.get_content_charset())
    if trouble:
        defects.append(trouble)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _file(part: Message, defects: list[str], hint: str | None) -> File:
    ctype = part.get_content_type()
    if ctype == "message/rfc822" or part.is_multipart():
        data = _attached_mail(part)
    else:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    content_id = part.get("content-id")
    cid = MESSAGE_ID.search(str(content_id)) if content_id else None
    name = _filename(part, defects, hint) or _name_for(part, ctype, data)
    return File(
        name=name,
        content_type=ctype,
        data=data,
        content_id=cid.group(1) if cid else (str(content_id).strip() if content_id else None),
        inline=part.get_content_disposition() == "inline" or bool(content_id),
    )


def _attached_mail(part: Message) -> bytes:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        return inner[0].as_bytes(policy=compat32.clone(linesep="\r\n", max_line_length=0))
    return part.as_bytes()


def _filename(part: Message, defects: list[str], hint: str | None) -> str | None:
    """RFC 2231 and encoded-word names through the parser; raw 8-bit names (which it turns
    into replacement characters) read from the raw header in the mail's charset."""
    for header in ("content-disposition", "content-type"):
        for raw in raw_headers(part, header):
            found = RAW_NAME.search(raw)
            if found and has_raw_bytes(found.group(2)):
                return _one_line(readable(found.group(2), hint)) or None
    try:
        name = part.get_filename()
    except Exception as error:  # a parameter the parser chokes on (bad RFC 2231 continuation)
        defects.append(f"unreadable file name: {error}")
        return None
    return _one_line(readable(name, hint)) or None if name else None


def _name_for(part: Message, ctype: str, data: bytes) -> str:
    """A name for a file that has none: an attached mail by its subject, else by its type."""
    if ctype == "message/rfc822":
        inner = email.message_from_bytes(data)
        subject = _one_line(header_text(inner, "subject"))
        return f"{subject or 'message'}.eml"
    extension = {
        "text/plain": "txt",
        "text/html": "html",
        "text/calendar": "ics",
        "message/delivery-status": "txt",
        "text/rfc822-headers": "txt",
    }.get(ctype) or ctype.split("/")[-1]
    return f"{ctype.split('/')[0]}.{extension}" if "/" in ctype else "file"


def _sender(msg: Message, defects: list[str], hint: str | None) -> Address | None:
    """From; when it has no address (`"Name" <>`), whoever else the mail names as its
    author or its bounce address."""
    for name in ("from", "sender", "reply-to", "return-path"):
        if found := _addresses(msg, name, defects, hint, bare=True):
            named = _addresses(msg, "from", defects, hint, bare=True)
            return (
                found[0] if found[0].name or not named else Address(found[0].email, named[0].name)
            )
    return None


def _addresses(
    msg: Message, name: str, defects: list[str], hint: str | None, bare: bool = False
) -> list[Address]:
    """Addresses split on the raw value, where encoded words are still atoms (a comma inside
    an encoded display name splits nothing), then each name decoded by `readable`."""
    raw = [readable(v, hint) if has_raw_bytes(v) else v for v in raw_headers(msg, name)]
    try:
        pairs = email.utils.getaddresses(raw)
    except Exception:  # too broken even for the old parser
        defects.append(f"unreadable {name} header")
        return []
    return [
        Address(addr.strip(), _one_line(readable(disp, hint)))
        for disp, addr in pairs
        if "@" in addr or (bare and addr.strip())
    ]


def _ids(msg: Message, name: str) -> list[str]:
    values = " ".join(raw_headers(msg, name))
    found = MESSAGE_ID.findall(values)
    if not found and values.strip() and "@" in values and " " not in values.strip():
        found = [values.strip()]  # an id without its angle brackets, as some clients send
    return list(dict.fromkeys(found))


def _date(msg: Message) -> datetime | None:
    found = raw_headers(msg, "date")
    try:
        when = email.utils.parsedate_to_datetime(found[0]) if found else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when is not None and when.tzinfo is not None else None


def _headers_first(raw: bytes) -> bytes:
    """Without what some stores put before the headers: an mbox `From ` line, a forwarder's
    "---- Original message ----" banner."""
    for _ in range(3):
        first, _, rest = raw.partition(b"\n")
        if HEADER_LINE.match(first) or not rest:
            break
        raw = rest
    return raw


def _hash_id(raw: bytes) -> str:
    return f"{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id"


def _one_line(text: str) -> str:
    return " ".join(text.split())
