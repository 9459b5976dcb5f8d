"""The store, as the router uses it: directory and queue reads, and ticket commands."""

from nats.aio.client import Client
from pydantic import BaseModel, TypeAdapter

from contracts import commands as c
from contracts import directory as d
from contracts import queries as q
from contracts import subjects
from contracts.tickets import TicketView

ACTOR = "router"  # how the router signs its commands in the audit trail
BATCH = 250  # commands per request; a reply is ~2 KB per command
_PAGE = TypeAdapter[q.TicketPage | q.QueryError](q.TicketPage | q.QueryError)


class StoreError(Exception):
    """The store refused a read: the router retries on its next sweep."""


class StoreClient:
    def __init__(self, nc: Client, timeout: float = 5.0) -> None:
        self.nc = nc
        self.timeout = timeout

    async def _ask(self, subject: str, body: BaseModel) -> bytes:
        reply = await self.nc.request(
            subject, body.model_dump_json().encode(), timeout=self.timeout
        )
        return reply.data

    async def directory(self) -> d.Directory:
        data = await self._ask(subjects.directory_query("get"), d.GetDirectory())
        return d.Directory.model_validate_json(data)

    async def page(self, query: q.ListTickets) -> list[TicketView]:
        """The first page only (a queue-ordered list has no further pages)."""
        page = _PAGE.validate_json(await self._ask(subjects.query("list"), query))
        if isinstance(page, q.QueryError):
            raise StoreError(page.message)
        return page.items

    async def tickets(self, query: q.ListTickets) -> list[TicketView]:
        """Every page of a ticket list."""
        items: list[TicketView] = []
        while True:
            page = _PAGE.validate_json(await self._ask(subjects.query("list"), query))
            if isinstance(page, q.QueryError):
                raise StoreError(page.message)
            items += page.items
            if not page.next_cursor:
                return items
            query = query.model_copy(update={"cursor": page.next_cursor})

    async def commands(self, commands: list[c.Command]) -> list[c.CommandOk | c.CommandError]:
        """Several commands per request, in order: a round trip for a whole batch of
        decisions. Each reply carries its ticket, so a request holds at most BATCH commands
        to keep the answer under NATS's 1 MB message limit."""
        replies: list[c.CommandOk | c.CommandError] = []
        for start in range(0, len(commands), BATCH):
            chunk = commands[start : start + BATCH]
            reply = await self.nc.request(
                subjects.COMMAND_BATCH,
                c.CommandBatch(commands=chunk).to_bytes(),
                timeout=self.timeout + len(chunk) * 0.01,
            )
            replies += c.CommandBatchReply.model_validate_json(reply.data).replies
        return replies

    async def directory_command(self, command: d.DirectoryCommand) -> c.CommandOk | c.CommandError:
        data = await self._ask(subjects.directory_command(type(command).name), command)
        return c.COMMAND_REPLY.validate_json(data)
