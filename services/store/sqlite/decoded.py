"""Stored documents decoded once: a ticket or contact read again with the same text is the
same object as the last time, not a new pydantic validation.

A conversation's ticket and contact are read by every batch its customer writes into (at 4
messages a thread, validating them was a sixth of the store's CPU per message); what a batch
writes is remembered as it is encoded, so the next batch reads it back for free. Keyed by
the document's text, an entry can never be stale: a changed row has a different text. The
models are shared, so nothing may change them in place (the store copies with `model_copy`).
"""

from itertools import islice
from typing import Generic, TypeVar

from pydantic import BaseModel

from contracts.tickets import ContactView, TicketView

M = TypeVar("M", bound=BaseModel)


class Decoded(Generic[M]):
    def __init__(self, model: type[M], size: int) -> None:
        self.model = model
        self.size = size
        self.known: dict[str, M] = {}

    def __call__(self, doc: str) -> M:
        found = self.known.get(doc)
        if found is None:
            found = self.model.model_validate_json(doc)
            self._keep(doc, found)
        return found

    def encode(self, model: M) -> str:
        """The document to store for `model`, remembered as its decoding: the next batch
        reads back what this one wrote."""
        doc = model.model_dump_json()
        self._keep(doc, model)
        return doc

    def _keep(self, doc: str, model: M) -> None:
        if len(self.known) >= self.size:  # the oldest quarter goes (dicts keep order)
            for old in list(islice(self.known, self.size // 4)):
                del self.known[old]
        self.known[doc] = model


# The conversations going on now. A decoded ticket is about 5 KB (measured: 41 MB for 8,192),
# and the store must stay under 150 MB resident: at 8,192 of each it reached 205 MB in the
# end-to-end run. 1,024 of each is some 7 MB.
ticket = Decoded(TicketView, 1024)
contact = Decoded(ContactView, 1024)
