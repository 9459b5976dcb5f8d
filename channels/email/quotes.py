"""Where the customer's own words end in a mail's text: the quoted history of the thread
("On … wrote:", "… написал(а):", "-----Original Message-----", `>` lines, Outlook's
"From:/Sent:" block) or a signature ("-- "). Pure.

Nothing is cut: the store keeps the whole text and this offset, and the inbox shows what
follows it collapsed. A wrong guess costs a click, never a lost line.
"""

import re

ATTRIBUTION = re.compile(
    r"^(on\b.{0,200}\bwrote:|am\b.{0,200}\bschrieb.{0,40}:|le\b.{0,200}\ba écrit\s?:|"
    r".{0,200}(писал|написал|пишет)(\(а\)|а)?\s*:|"
    r"-{2,}\s*(original message|ursprüngliche nachricht|исходное сообщение|"
    r"пересылаемое сообщение|forwarded message)\s*-{2,})\s*$",
    re.IGNORECASE,
)
HEADER_BLOCK = re.compile(r"^(from|von|от|de):\s.+$", re.IGNORECASE)
NEXT_HEADER = re.compile(r"^(sent|gesendet|отправлено|date|дата|to|кому):\s", re.IGNORECASE)
SIGNATURE = "-- "


def fold_point(text: str) -> int | None:
    """The offset in `text` where quoted history or the signature begins, or None. Never 0:
    a mail that is all quote (a bare forward) is shown whole."""
    lines = text.split("\n")
    offset = 0
    for n, line in enumerate(lines):
        stripped = line.strip()
        following = lines[n + 1].strip() if n + 1 < len(lines) else ""
        starts = (
            line.rstrip("\r") == SIGNATURE
            or ATTRIBUTION.match(stripped)
            or (HEADER_BLOCK.match(stripped) and NEXT_HEADER.match(following))
            or (stripped.startswith(">") and _rest_quoted(lines[n:]))
        )
        if starts and _own_words(lines[:n]):
            return offset
        offset += len(line) + 1
    return None


def _own_words(lines: list[str]) -> bool:
    return any(line.strip() and not line.strip().startswith(">") for line in lines)


def _rest_quoted(lines: list[str]) -> bool:
    """A `>` line begins the history only when the quoted lines run to the end (blank lines
    and a signature aside), not when the customer answers between quotes."""
    rest = [line.strip() for line in lines if line.strip()]
    return all(line.startswith(">") or line == "--" for line in rest)
