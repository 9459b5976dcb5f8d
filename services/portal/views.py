"""Who is signed in to the portal, which tickets are theirs, and what of a ticket they see.
Pure.

A customer is known by an email address (a link they asked for, or one an agent sent to a
contact with an address) or, when the desk knows them only by phone or messenger, by their
contact (a link an agent sent into the conversation). Either way a ticket is theirs when its
contact is: same address as mail identity or on the contact, or the same contact.
"""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from contracts import queries as q
from contracts.messages import Attachment
from contracts.tickets import ContactView, TicketView
from services.portal.links import Signed
from services.runtime.files import PREFIX

CONTACT = "contact:"


@dataclass(frozen=True)
class Customer:
    email: str | None
    contact_id: str | None

    @classmethod
    def of(cls, signed: Signed) -> "Customer":
        if signed.scope.startswith(CONTACT):
            return cls(None, signed.scope.removeprefix(CONTACT))
        return cls(signed.email, None)

    @property
    def name(self) -> str:
        return self.email or f"{CONTACT}{self.contact_id}"

    def tickets(self, limit: int) -> q.ListTickets:
        if self.email:
            return q.ListTickets(contact_email=self.email, limit=limit)
        return q.ListTickets(contact_id=self.contact_id, limit=limit)

    def owns(self, contact: ContactView | None) -> bool:
        if contact is None:
            return False
        if self.contact_id is not None:
            return contact.id == self.contact_id
        return f"email:{self.email}" in contact.identities or (
            (contact.email or "").strip().lower() == self.email
        )


def receipt(key: bytes, customer: Customer, ref: str) -> str:
    """Proof that this customer uploaded the file: a reply may attach only such files."""
    text = f"relaydesk/portal/file/{customer.name}/{ref}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def summary(t: TicketView) -> dict[str, Any]:
    return {
        "id": t.id,
        "number": t.number,
        "subject": t.subject,
        "status": t.status,
        "channel": t.channel,
        "updated_at": t.updated_at.isoformat(),
    }


def attachment(ticket_id: str, a: Attachment) -> dict[str, Any]:
    url = None
    if a.ref and a.ref.startswith(PREFIX):
        url = f"/portal/api/tickets/{ticket_id}/files/{a.ref.removeprefix(PREFIX)}"
    return {"name": a.name, "size": a.size, "content_type": a.content_type, "url": url}


def public(detail: q.TicketDetail) -> dict[str, Any]:
    """What the customer may see: never internal notes, never agents' ids."""
    t = detail.ticket
    return {
        **summary(t),
        "messages": [
            {
                "id": m.id,
                "from": "customer" if m.direction == "inbound" else "support",
                "text": m.text,
                "attachments": [attachment(t.id, a) for a in m.attachments],
                "created_at": m.created_at.isoformat(),
            }
            for m in detail.messages
            if m.direction in ("inbound", "outbound")
        ],
    }


def public_file(detail: q.TicketDetail, digest: str) -> Attachment | None:
    """The attachment with this content on a message the customer sees (never a note's)."""
    ref = PREFIX + digest
    for m in detail.messages:
        if m.direction in ("inbound", "outbound"):
            for a in m.attachments:
                if a.ref == ref:
                    return a
    return None
