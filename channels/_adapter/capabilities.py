"""What a channel's platform can take, declared once per channel, and how a reply is cut into
the parts it sends. Pure.

A reply too long for one platform message goes out as several, and each attached file may be
a message of its own (Telegram). The outbound worker records every part it sent, so a retry
after part 2 failed starts at part 2 and never sends part 1 again.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from contracts.messages import Attachment, OutboundMessage


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word when one is
    near the limit, so no word is broken when it can be helped."""
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text or not pieces else pieces


@dataclass(frozen=True)
class Part:
    """One platform message of a reply. The last part carries the reply's buttons."""

    index: int
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    last: bool = False


@dataclass(frozen=True)
class Capabilities:
    text_limit: int | None = None
    """Characters per platform message (None: no limit worth cutting at)."""
    idempotent: bool = False
    """The platform drops a repeat of our own id (VK's `random_id`): a part whose send was
    cut off by a crash is simply sent again, never reported as "delivery uncertain"."""
    files_apart: bool = False
    """Each attached file is a message of its own, after the text (Telegram)."""
    split: Callable[[str, int], list[str]] = split_text

    def parts(self, out: OutboundMessage) -> list[Part]:
        texts = [out.text]
        if self.text_limit is not None:
            texts = self.split(out.text, self.text_limit)
        if not self.files_apart:
            found = [(t, list(out.attachments) if n == 0 else []) for n, t in enumerate(texts)]
        else:
            found = [(t, []) for t in texts if t.strip() or not out.attachments]
            found += [("", [a]) for a in out.attachments]
        last = len(found) - 1
        return [Part(n, text, files, n == last) for n, (text, files) in enumerate(found)]
