"""The MongoDB repository: transactions per unit of work, reads for queue pages and search."""

import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError, OperationFailure

from contracts.queries import Counts, ListTickets, TicketPage
from contracts.tickets import ContactView, MessageView, TicketView
from services.store import paging
from services.store.errors import LostRace
from services.store.mongo import documents as d
from services.store.mongo.indexes import INDEXES
from services.store.mongo.unit_of_work import MongoUnitOfWork
from services.store.records import AuditEntry, OutboxBatch


class MongoRepository:
    """`client` is an AsyncMongoClient, or anything with its shape (the contract suite's fake)."""

    batches_commands = False  # each write goes to the server at once: nothing to batch

    def __init__(self, client: Any, database: str) -> None:
        self.client = client
        self.db = client[database]

    @classmethod
    def from_uri(cls, uri: str, database: str) -> "MongoRepository":
        return cls(AsyncMongoClient(uri, tz_aware=True), database)

    async def setup(self) -> None:
        for collection, indexes in INDEXES.items():
            await self.db[collection].create_indexes(indexes)

    async def close(self) -> None:
        await self.client.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[MongoUnitOfWork]:
        try:
            async with self.client.start_session() as session:  # noqa: SIM117
                async with await session.start_transaction():
                    yield MongoUnitOfWork(self.db, session)
        except DuplicateKeyError as error:
            raise LostRace(str(error)) from error
        except OperationFailure as error:
            # A write conflict with another replica's transaction: retry the whole unit.
            if error.has_error_label("TransientTransactionError"):
                raise LostRace(str(error)) from error
            raise

    async def list_tickets(self, query: ListTickets) -> TicketPage:
        matching: list[str] | None = None
        if query.q and (terms := paging.search_terms(query.q)):
            matching = await self.db.messages.distinct("ticket_id", d.text_search(terms))
        contacts: list[str] | None = None
        if query.contact_email is not None:
            contacts = await self.db.contacts.distinct("_id", d.email_filter(query.contact_email))
        order = d.TICKET_ORDER if query.order == "recent" else d.QUEUE_ORDER
        docs = await self.db.tickets.find(
            d.ticket_filter(query, matching, contacts), sort=order, limit=query.limit + 1
        ).to_list(None)
        items = [TicketView.model_validate(doc["view"]) for doc in docs[: query.limit]]
        cursor = None
        if len(docs) > query.limit and query.order == "recent":
            last = docs[query.limit - 1]
            cursor = paging.encode_cursor(last["updated_ts"], last["_id"])
        return TicketPage(items=items, next_cursor=cursor)

    async def ticket(self, ticket_id: str) -> TicketView | None:
        return await MongoUnitOfWork(self.db, None).get_ticket(ticket_id)

    async def contact(self, contact_id: str) -> ContactView | None:
        return await MongoUnitOfWork(self.db, None).get_contact(contact_id)

    async def messages(self, ticket_id: str) -> list[MessageView]:
        return await MongoUnitOfWork(self.db, None).get_messages(ticket_id)

    async def messages_json(self, ticket_id: str) -> list[str]:
        return [m.model_dump_json() for m in await self.messages(ticket_id)]

    async def counts(self, departments: list[str] | None) -> Counts:
        match: dict[str, Any] = {"live": True}
        if departments is not None:
            match["department"] = {"$in": departments}
        pipeline = [
            {"$match": match},
            {
                "$group": {
                    "_id": {"department": "$department", "status": "$status"},
                    "n": {"$sum": 1},
                    "unassigned": {
                        "$sum": {
                            "$cond": [
                                {
                                    "$and": [
                                        {"$eq": ["$assignee", None]},
                                        {"$in": ["$status", ["open", "pending"]]},
                                    ]
                                },
                                1,
                                0,
                            ]
                        }
                    },
                }
            },
        ]
        counts = Counts()
        for row in await (await self.db.tickets.aggregate(pipeline)).to_list(None):
            dept = row["_id"].get("department") or ""
            counts.by_status.setdefault(dept, {})[row["_id"]["status"]] = row["n"]
            counts.unassigned[dept] = counts.unassigned.get(dept, 0) + row["unassigned"]
        return counts

    async def audit(self, ticket_id: str) -> list[AuditEntry]:
        docs = await self.db.audit.find({"ticket_id": ticket_id}, sort=[("at_ts", 1)]).to_list(None)
        return [
            AuditEntry(
                ticket_id,
                doc["actor"],
                doc["action"],
                doc["detail"],
                doc["_id"],
                datetime.fromtimestamp(doc["at_ts"], UTC),
            )
            for doc in docs
        ]

    async def items(self, kind: str) -> list[str]:
        docs = await self.db.directory.find({"kind": kind}, sort=[("seq", 1)]).to_list(None)
        return [doc["doc"] for doc in docs]

    async def credentials(self, email: str) -> tuple[str, str | None] | None:
        doc = await self.db.directory.find_one({"kind": "agent", "email": email})
        return (doc["doc"], doc.get("secret")) if doc else None

    async def pending_outbox(self, limit: int, older_than: float) -> list[OutboxBatch]:
        docs = await self.db.outbox.find(
            {"published_ts": None, "created_ts": {"$lte": older_than}},
            sort=[("created_ts", 1)],
            limit=limit,
        ).to_list(None)
        return [
            OutboxBatch.from_bytes(
                bytes(doc["entries"]), doc["_id"], datetime.fromtimestamp(doc["created_ts"], UTC)
            )
            for doc in docs
        ]

    async def mark_published(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        await self.db.outbox.update_many(
            {"_id": {"$in": list(ids)}}, {"$set": {"published_ts": time.time()}}
        )
