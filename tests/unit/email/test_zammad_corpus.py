"""Every mail of Zammad's parser suite, read by our parser and compared with what Zammad's own
expectations say: sender, display name, subject, content type, body text and attachments
(name and MD5). Where we differ, the difference is named below with its reason; the test
fails when a mail differs in any other way, and also when a named difference disappears (so
the list is kept true)."""

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from channels.email.html_text import html_to_text
from channels.email.mime import ParsedMail, parse
from tests.unit.email.corpus import ZAMMAD, expected

pytestmark = pytest.mark.unit

REPORT_NAMES = (
    "Zammad names the parts of a delivery report itself ('Delivery report.txt', 'Undelivered "
    "Message.eml'); we name a part by its type or, for a mail, its subject; the attached mail "
    "is kept as the email package writes it back, so its bytes (MD5) differ, not its content"
)
PLACEHOLDER_NAMES = (
    "Zammad invents names for unnamed parts ('file', a number, 'document.html'); ours come "
    "from the type ('image.jpeg', 'application.others')"
)
LINE_ENDINGS = (
    "the part's bytes as sent (CRLF line ends, a uuencoded payload kept encoded); Zammad's "
    "expectation holds them after Ruby's conversion"
)
GUESSED_8BIT = (
    "raw 8-bit header bytes in a charset the mail never declares: Zammad decodes them in "
    "one guess and we in another; neither is provably the writer's"
)
MISSING_HEADERS = (
    "a header block broken before the headers we compare (a folded line without its start, "
    "a forwarder's banner): Zammad repairs it by heuristics we do not copy; the raw source is "
    "kept for the agent"
)
ENCODED_ADDRESS = (
    "RFC 2047 section 5 forbids encoded words inside an address; we keep the address as "
    "written rather than decode it into one the sender did not have (the spoofing case the "
    "mail was written to test)"
)
EXPLAINED: dict[str, tuple[set[str], str]] = {
    "mail014.box": ({"att"}, REPORT_NAMES),
    "mail015.box": ({"att"}, GUESSED_8BIT),
    "mail017.box": ({"from_email", "name"}, GUESSED_8BIT),
    "mail018.box": (
        {"att", "body", "subject"},
        REPORT_NAMES + "; subject and body are UTF-7, which we decode and Zammad does not",
    ),
    "mail027.box": ({"ctype"}, "an empty HTML part: we keep it as HTML, Zammad drops to text"),
    "mail031.box": ({"name"}, "we collapse an ideographic space in a name to a plain one"),
    "mail033-undelivered-mail-returned-to-sender.box": ({"att"}, REPORT_NAMES),
    "mail035.box": ({"from_email"}, "Zammad keeps the quotes of a quoted local part"),
    "mail038.box": ({"att"}, LINE_ENDINGS),
    "mail039.box": ({"att"}, LINE_ENDINGS),
    "mail042.box": ({"att"}, PLACEHOLDER_NAMES),
    "mail046.box": ({"name", "subject"}, GUESSED_8BIT),
    "mail053.box": ({"att"}, REPORT_NAMES),
    "mail054.box": ({"body", "name", "subject"}, MISSING_HEADERS),
    "mail055.box": ({"att"}, REPORT_NAMES),
    "mail060.box": ({"body"}, "Zammad's expectation is itself mojibake of this GB2312 body"),
    "mail062.box": ({"att"}, PLACEHOLDER_NAMES),
    "mail063.box": ({"att"}, REPORT_NAMES),
    "mail064.box": ({"att"}, "we compose the decomposed accents (NFC) Zammad keeps apart"),
    "mail065.box": ({"from_email", "name"}, MISSING_HEADERS),
    "mail068.box": ({"body", "ctype", "from_email", "subject"}, MISSING_HEADERS),
    "mail072.box": ({"body"}, "Zammad's expectation is mojibake; we read the declared charset"),
    "mail071.box": ({"att"}, "a multipart with no boundary: kept as an empty file, not lost"),
    "mail076.box": ({"from_email", "name"}, "an unbalanced '<' that each parser splits apart"),
    "mail078-content_transfer_encoding_x_uuencode.box": ({"att"}, LINE_ENDINGS),
    "mail078.box": ({"att"}, REPORT_NAMES),
    "mail080.box": ({"att"}, PLACEHOLDER_NAMES),
    "mail082.box": ({"att"}, "we collapse the double space in a file name"),
    "mail085.box": ({"att", "body"}, "an HTML part marked inline: our body, Zammad's file"),
    "mail087.box": ({"att", "body", "name"}, "a fax notice whose text part Zammad files away"),
    "mail092.box": ({"att", "name"}, REPORT_NAMES),
    "mail099.box": ({"body"}, "ISO-2022-JP with NEC row-13 signs (①), which no codec reads"),
    "mail100.box": ({"att"}, PLACEHOLDER_NAMES),
    "mail102.box": ({"att", "ctype"}, "an image inside the HTML alternative, shown inline"),
    "mail105.box": ({"att"}, "a multipart with no boundary: kept as an empty file, not lost"),
    "mail117.box": ({"from_email"}, ENCODED_ADDRESS),
    "mail118.box": ({"from_email"}, ENCODED_ADDRESS),
}


def _words(text: str) -> str:
    return " ".join(text.split())


def _body(mail: ParsedMail) -> str:
    return _words(html_to_text(mail.html) if mail.html else mail.text)


def _their_body(exp: dict[str, Any]) -> str:
    if exp["body"].strip() == "no visible content":  # Zammad's placeholder for no body
        return ""
    body = exp["body"]
    return _words(html_to_text(body) if exp["content_type"] == "text/html" else body)


def _alike(ours: str, theirs: str) -> float:
    """Share of words in common. Zammad rewrites HTML (wrappers, entities, links), so the
    visible words are compared, not the markup."""
    a, b = Counter(ours.split()), Counter(theirs.split())
    total = sum(a.values()) + sum(b.values())
    return 1.0 if total == 0 else 2 * sum((a & b).values()) / total


def _md5(data: bytes | str) -> str:
    return hashlib.md5(data if isinstance(data, bytes) else data.encode()).hexdigest()  # noqa: S324 - the corpus's checksum


def differences(box: Path) -> set[str]:
    exp = expected(box)
    mail = parse(box.read_bytes())
    found = set()
    sender = mail.sender
    if (sender.email if sender else "") != (exp["from_email"] or ""):
        found.add("from_email")
    if (sender.name if sender else "") != (exp["from_display_name"] or ""):
        found.add("name")
    if mail.subject != _words(exp["subject"] or ""):
        found.add("subject")
    if mail.content_type != exp["content_type"]:
        found.add("ctype")
    ours, theirs = _body(mail), _their_body(exp)
    if _alike(ours, theirs) < 0.9:
        found.add("body")
    # `message.html` is Zammad's copy of the HTML body, not an attachment of the mail.
    their_files = {
        (a["filename"], _md5(a["data"]))
        for a in exp["attachments"] or []
        if a["filename"] != "message.html"
    }
    if their_files != {(f.name, _md5(f.data)) for f in mail.files}:
        found.add("att")
    return found


@pytest.mark.parametrize("box", ZAMMAD, ids=lambda p: p.name)
def test_mail_reads_as_zammad_expects_or_as_explained(box: Path) -> None:
    assert differences(box) == EXPLAINED.get(box.name, (set(), ""))[0]


def test_most_of_the_corpus_matches_zammad_exactly() -> None:
    assert len(ZAMMAD) == 116
    assert len(ZAMMAD) - len(EXPLAINED) == 79
