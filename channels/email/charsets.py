"""Text out of bytes whose charset is declared wrong, not at all, or by a name Python does not
know, and header values written raw in 8 bits or with encoded words cut mid-character. Pure.

`email.policy.default` decodes what is well formed; mail from real clients often is not
(Outlook's `ks_c_5601-1987`, windows-1251 bodies declared as utf-8, Cyrillic subjects split
into encoded words in the middle of a character). Guesses come from charset-normalizer.
"""

import codecs
import email.header
import re
from email.message import Message

from charset_normalizer import from_bytes

# Names mail clients use that Python's codecs do not know, or know as a smaller set.
ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-mac-cyrillic": "mac-cyrillic",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-user-defined": "cp1252",
    "iso-2022-jp-ms": "iso-2022-jp-ext",
    "iso-gb2312": "gb18030",
    "iso-2022-jp": "iso2022_jp_2",  # a superset: clients put JIS X 0212 in plain -jp
}
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?")


def codec(declared: str | None) -> str | None:
    """The Python codec for a declared charset, or None when there is none usable."""
    if not declared:
        return None
    name = ALIASES.get(declared.strip().strip('"').lower(), declared.strip().strip('"').lower())
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # unknown, or not even a name (a NUL inside)
        return None


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """The text, and what went wrong when the declared charset could not read it."""
    name = codec(declared)
    if name is not None:
        try:
            return data.decode(name), None
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    else:
        return text, None if name is None or declared is None else _wrong(declared, "utf-8")
    best = from_bytes(data).best()
    if best is not None:
        return str(best), _wrong(declared, best.encoding)
    return data.decode(name or "latin-1", errors="replace"), _wrong(declared, "nothing")


def _wrong(declared: str | None, used: str) -> str:
    return f"charset {declared or '(none)'} did not read the text; read as {used}"


def readable(value: str, hint: str | None = None) -> str:
    """A header value as text: raw 8-bit bytes (kept by the parser as surrogates) decoded,
    encoded words decoded with neighbours in the same charset joined first, so a character
    split between two words comes out whole. Raw bytes are read in `hint` (the charset the
    mail's text declares) when they are not UTF-8: a few bytes are too short to guess."""
    if has_raw_bytes(value):
        data = value.encode("utf-8", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = decode_bytes(data, hint)[0]
    if not ENCODED_WORD.search(value):
        return value
    unfolded = re.sub(r"\r?\n[ \t]+", " ", value)
    try:
        chunks = email.header.decode_header(unfolded)
    except (email.errors.HeaderParseError, ValueError):
        return unfolded
    merged: list[tuple[bytes, str | None]] = []
    for chunk, charset in chunks:
        data = chunk.encode("utf-8", "surrogateescape") if isinstance(chunk, str) else chunk
        if merged and merged[-1][1] == charset:
            merged[-1] = (merged[-1][0] + data, charset)
        else:
            merged.append((data, charset))
    return "".join(decode_bytes(data, charset)[0] for data, charset in merged)


def has_raw_bytes(value: str) -> bool:
    """Raw 8-bit bytes in a header, which the parser keeps as surrogates."""
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def raw_headers(msg: Message, name: str) -> list[str]:
    return [str(value) for key, value in msg.raw_items() if key.lower() == name]


def header_text(msg: Message, name: str, hint: str | None = None) -> str:
    """A header's raw value (the first of its name), decoded by `readable`."""
    found = raw_headers(msg, name)
    return readable(found[0], hint) if found else ""


def text_charset(msg: Message) -> str | None:
    """The first charset a text part declares: the best guess for raw 8-bit headers."""
    for part in msg.walk():
        if part.get_content_maintype() == "text" and (charset := part.get_content_charset()):
            return charset if codec(charset) not in (None, "ascii", "utf-8") else None
    return None
