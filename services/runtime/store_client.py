"""The store as every other service asks it: ticket queries and commands, command batches,
the directory and credentials, over core NATS request/reply. Used by the router and the inbox.

A refusal comes back as `StoreRefused` with the store's code (the inbox maps it to HTTP); no
answer in time is `StoreUnavailable`, never a hang.
"""

import functools
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.errors import Error as NatsError
from pydantic import BaseModel, TypeAdapter
from pydantic_core import from_json

from contracts import commands as c
from contracts import directory as d
from contracts import queries as q
from contracts import subjects
from contracts.tickets import TicketView

T = TypeVar("T", bound=BaseModel)
BATCH = 250  # commands per request: a reply is ~2 KB per command, NATS allows 1 MB


class StoreUnavailable(Exception):
    pass


class StoreRefused(Exception):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class StoreClient:
    def __init__(self, nc: Client, timeout: float = 5.0) -> None:
        self.nc = nc
        self.timeout = timeout

    async def _ask(self, subject: str, body: BaseModel, timeout: float | None = None) -> bytes:
        try:
            reply = await self.nc.request(
                subject, body.model_dump_json().encode(), timeout=timeout or self.timeout
            )
        except (NatsError, TimeoutError) as error:
            raise StoreUnavailable(f"the store did not answer ({type(error).__name__})") from error
        return reply.data

    async def _query(self, name: str, body: BaseModel, answer: type[T]) -> T:
        data = await self._ask(subjects.query(name), body)
        found: T | q.QueryError = _answer_shape(answer).validate_json(data)
        if isinstance(found, q.QueryError):
            raise StoreRefused(found.code, found.message)
        return found

    async def page(self, query: q.ListTickets) -> q.TicketPage:
        return await self._query("list", query, q.TicketPage)

    async def all_tickets(self, query: q.ListTickets) -> list[TicketView]:
        """Every page of a ticket list."""
        items: list[TicketView] = []
        while True:
            page = await self.page(query)
            items += page.items
            if not page.next_cursor:
                return items
            query = query.model_copy(update={"cursor": page.next_cursor})

    async def ticket(
        self, ticket_id: str, departments: list[str] | None, *, messages: bool = True
    ) -> q.TicketDetail:
        query = q.GetTicket(ticket_id=ticket_id, departments=departments, messages=messages)
        return await self._query("get", query, q.TicketDetail)

    async def ticket_json(self, ticket_id: str, departments: list[str] | None) -> dict[str, Any]:
        """The same answer as `ticket`, as plain JSON data: opening a long conversation is the
        hottest read, and the store's own output needs no second validation here."""
        query = q.GetTicket(ticket_id=ticket_id, departments=departments)
        found: dict[str, Any] = from_json(await self._ask(subjects.query("get"), query))
        if found.get("ok") is False:
            raise StoreRefused(found.get("code", "internal"), found.get("message", ""))
        return found

    async def audit(self, ticket_id: str, departments: list[str] | None) -> q.AuditTrail:
        query = q.GetAudit(ticket_id=ticket_id, departments=departments)
        return await self._query("audit", query, q.AuditTrail)

    async def counts(self, departments: list[str] | None) -> q.Counts:
        return await self._query("counts", q.QueueCounts(departments=departments), q.Counts)

    async def command(self, command: c.Command) -> c.CommandOk:
        data = await self._ask(subjects.command(type(command).name), command)
        return _ok(c.COMMAND_REPLY.validate_json(data))

    async def commands(self, commands: list[c.Command]) -> list[c.CommandOk | c.CommandError]:
        """Several commands per request, in order, each answered on its own: a round trip
        for a whole batch of decisions, at most BATCH commands per request."""
        replies: list[c.CommandOk | c.CommandError] = []
        for start in range(0, len(commands), BATCH):
            chunk = commands[start : start + BATCH]
            batch = c.CommandBatch(commands=chunk)
            data = await self._ask(subjects.COMMAND_BATCH, batch, self.timeout + len(chunk) * 0.01)
            replies += c.CommandBatchReply.model_validate_json(data).replies
        return replies

    async def directory(self) -> d.Directory:
        data = await self._ask(subjects.directory_query("get"), d.GetDirectory())
        return d.Directory.model_validate_json(data)

    async def directory_command(self, command: d.DirectoryCommand) -> c.CommandOk:
        data = await self._ask(subjects.directory_command(type(command).name), command)
        return _ok(c.COMMAND_REPLY.validate_json(data))

    async def credentials(self, email: str) -> d.Credentials:
        data = await self._ask(
            subjects.directory_query("credentials"), d.GetCredentials(email=email)
        )
        return d.Credentials.model_validate_json(data)


@functools.cache
def _answer_shape(answer: type[BaseModel]) -> TypeAdapter[Any]:
    # Building an adapter costs milliseconds: once per answer type, not once per request.
    shape: Any = answer | q.QueryError
    return TypeAdapter(shape)


def _ok(reply: c.CommandOk | c.CommandError) -> c.CommandOk:
    if isinstance(reply, c.CommandError):
        raise StoreRefused(reply.code, reply.message, reply.field)
    return reply
