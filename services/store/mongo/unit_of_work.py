"""MongoDB writes and reads inside one transaction: the store's UnitOfWork on MongoDB."""

import time
from collections.abc import Sequence
from typing import Any

from pymongo import ReturnDocument

from contracts.messages import InboundMessage
from contracts.tickets import ContactView, MessageView, TicketView
from services.store.errors import Conflict
from services.store.mongo import documents as d
from services.store.records import AuditEntry, OutboxBatch

_last_seq = 0


def next_seq() -> int:
    """Insertion order of messages: nanoseconds, strictly increasing within a process."""
    global _last_seq
    _last_seq = max(time.time_ns(), _last_seq + 1)
    return _last_seq


class MongoUnitOfWork:
    def __init__(self, db: Any, session: Any) -> None:
        self.db = db
        self.s = session

    async def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        """Nothing to warm: each lookup is one indexed query inside the transaction."""

    async def contact_by_identity(self, identity: str) -> ContactView | None:
        return d.contact_of(
            await self.db.contacts.find_one({"identities": identity}, session=self.s)
        )

    async def get_contact(self, contact_id: str) -> ContactView | None:
        return d.contact_of(await self.db.contacts.find_one({"_id": contact_id}, session=self.s))

    async def contact_known_in(self, contact_id: str, departments: list[str]) -> bool:
        found = await self.db.tickets.find_one(
            {"contact_id": contact_id, "department": {"$in": departments}}, session=self.s
        )
        return found is not None

    async def save_contact(self, contact: ContactView, *, new: bool) -> None:
        doc = d.contact_doc(contact)
        if new:
            await self.db.contacts.insert_one(doc, session=self.s)
        else:
            await self.db.contacts.replace_one({"_id": contact.id}, doc, session=self.s)

    async def get_ticket(self, ticket_id: str) -> TicketView | None:
        return d.ticket_of(await self.db.tickets.find_one({"_id": ticket_id}, session=self.s))

    async def ticket_by_number(self, number: int) -> TicketView | None:
        return d.ticket_of(await self.db.tickets.find_one({"number": number}, session=self.s))

    async def live_ticket(self, thread: str) -> TicketView | None:
        doc = await self.db.tickets.find_one({"thread": thread, "live": True}, session=self.s)
        return d.ticket_of(doc)

    async def latest_ticket(self, thread: str) -> TicketView | None:
        docs = await self.db.tickets.find(
            {"thread": thread}, sort=[("created_ts", -1)], limit=1, session=self.s
        ).to_list(None)
        return d.ticket_of(docs[0] if docs else None)

    async def next_ticket_number(self) -> int:
        doc = await self.db.counters.find_one_and_update(
            {"_id": "ticket"},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=self.s,
        )
        return int(doc["value"])

    async def insert_ticket(self, ticket: TicketView) -> None:
        await self.db.tickets.insert_one(d.ticket_doc(ticket), session=self.s)

    async def update_ticket(self, ticket: TicketView) -> None:
        result = await self.db.tickets.replace_one(
            {"_id": ticket.id, "version": ticket.version - 1}, d.ticket_doc(ticket), session=self.s
        )
        if result.matched_count != 1:
            raise Conflict(f"ticket {ticket.number} changed meanwhile", "expected_version")

    async def message_by_dedupe(self, key: str) -> MessageView | None:
        return d.message_of(await self.db.messages.find_one({"dedupe_key": key}, session=self.s))

    async def get_message(self, message_id: str) -> MessageView | None:
        return d.message_of(await self.db.messages.find_one({"_id": message_id}, session=self.s))

    async def get_messages(self, ticket_id: str) -> list[MessageView]:
        docs = await self.db.messages.find(
            {"ticket_id": ticket_id, "view": {"$exists": True}}, sort=[("seq", 1)], session=self.s
        ).to_list(None)
        return [MessageView.model_validate(doc["view"]) for doc in docs]

    async def insert_message(self, message: MessageView, *, dedupe_key: str | None) -> None:
        doc = d.message_doc(message, dedupe_key, next_seq())
        await self.db.messages.insert_one(doc, session=self.s)

    async def name_message(self, message_id: str, key: str) -> None:
        await self.db.messages.update_one(
            {"_id": message_id}, {"$set": {"dedupe_key": key}}, session=self.s
        )

    async def hold_receipt(self, key: str, report: str) -> None:
        doc = {"key": key, "doc": report, "at_ts": time.time()}
        await self.db.receipts.insert_one(doc, session=self.s)

    async def held_receipts(self, key: str) -> list[str]:
        docs = await self.db.receipts.find(
            {"key": key}, sort=[("at_ts", 1)], session=self.s
        ).to_list(None)
        if docs:
            await self.db.receipts.delete_many({"key": key}, session=self.s)
        return [doc["doc"] for doc in docs]

    async def index_search(self, ticket_id: str, message_id: str | None, text: str) -> None:
        if message_id is None:
            # The ticket is searchable like a message body: a document in messages, no view.
            await self.db.messages.update_one(
                {"_id": f"ticket:{ticket_id}"},
                {"$set": {"search": text}, "$setOnInsert": {"ticket_id": ticket_id, "seq": 0}},
                upsert=True,
                session=self.s,
            )
        else:
            await self.db.messages.update_one(
                {"_id": message_id}, {"$set": {"search": text}}, session=self.s
            )

    async def update_message(self, message: MessageView) -> None:
        await self.db.messages.update_one(
            {"_id": message.id},
            {"$set": {"view": message.model_dump(mode="json"), "ticket_id": message.ticket_id}},
            session=self.s,
        )

    async def move_messages(self, message_ids: Sequence[str], ticket_id: str) -> None:
        await self.db.messages.update_many(
            {"_id": {"$in": list(message_ids)}},
            {"$set": {"ticket_id": ticket_id, "view.ticket_id": ticket_id}},
            session=self.s,
        )

    async def add_outbox(self, batch: OutboxBatch) -> None:
        if batch.entries:
            doc = {
                "_id": batch.id,
                "entries": batch.to_bytes(),
                "created_ts": batch.created_at.timestamp(),
                "published_ts": None,
            }
            await self.db.outbox.insert_one(doc, session=self.s)

    async def mark_published(self, ids: Sequence[str]) -> None:
        if ids:
            await self.db.outbox.update_many(
                {"_id": {"$in": list(ids)}},
                {"$set": {"published_ts": time.time()}},
                session=self.s,
            )

    async def items(self, kind: str) -> list[str]:
        docs = await self.db.directory.find(
            {"kind": kind}, sort=[("seq", 1)], session=self.s
        ).to_list(None)
        return [doc["doc"] for doc in docs]

    async def put_item(
        self, kind: str, item_id: str, doc: str, *, email: str | None = None
    ) -> None:
        fields: dict[str, Any] = {"kind": kind, "doc": doc}
        if email is not None:
            fields["email"] = email
        await self.db.directory.update_one(
            {"_id": f"{kind}:{item_id}"},
            {"$set": fields, "$setOnInsert": {"seq": next_seq()}},
            upsert=True,
            session=self.s,
        )

    async def delete_item(self, kind: str, item_id: str) -> bool:
        result = await self.db.directory.delete_one({"_id": f"{kind}:{item_id}"}, session=self.s)
        return bool(result.deleted_count)

    async def set_secret(self, item_id: str, secret: str) -> None:
        await self.db.directory.update_one(
            {"_id": f"agent:{item_id}"}, {"$set": {"secret": secret}}, session=self.s
        )

    async def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            docs = [
                {
                    "_id": e.id,
                    "ticket_id": e.ticket_id,
                    "actor": e.actor,
                    "action": e.action,
                    "detail": e.detail,
                    "at_ts": e.at.timestamp(),
                }
                for e in entries
            ]
            await self.db.audit.insert_many(docs, session=self.s)
