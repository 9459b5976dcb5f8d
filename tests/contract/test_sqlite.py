"""The repository contract on the embedded SQLite backend."""

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contracts import commands as c
from contracts.queries import ListTickets
from services.store import rules
from services.store.repository import Repository
from services.store.sqlite import SqliteRepository
from services.store.writer import Writer
from tests.contract.directory_suite import DirectorySuite
from tests.contract.suite import Published, RepositorySuite, inbound

pytestmark = pytest.mark.contract
_files = itertools.count()


class TestSqliteRepository(RepositorySuite, DirectorySuite):
    @pytest.fixture(autouse=True)
    def _dir(self, tmp_path: Path) -> None:
        self.dir = tmp_path

    async def make_repository(self) -> Repository:
        return SqliteRepository(self.dir / f"store-{next(_files)}.sqlite3")


class TestTwoProcessesOnOneFile:
    """Tickets are remembered between transactions; a write by another connection (a second
    store process) must still be seen by the next transaction."""

    @pytest.fixture
    async def repos(self, tmp_path: Path) -> AsyncIterator[tuple[SqliteRepository, ...]]:
        pair = (SqliteRepository(tmp_path / "s.sqlite3"), SqliteRepository(tmp_path / "s.sqlite3"))
        for repo in pair:
            await repo.setup()
        yield pair
        for repo in pair:
            await repo.close()

    async def test_a_ticket_changed_by_another_process_is_read_fresh(
        self, repos: tuple[SqliteRepository, SqliteRepository]
    ) -> None:
        here, there = Writer(repos[0], Published()), Writer(repos[1], Published())
        await here.ingest([inbound("1")])
        ticket = (await repos[0].list_tickets(ListTickets())).items[0]
        moved = await there.execute(c.SetPriority(actor="a1", ticket_id=ticket.id, priority="high"))
        assert isinstance(moved, c.CommandOk)

        # Only right if `here` reads version 2, which `there` wrote, not the one it remembers.
        reply = await here.execute(
            c.SetStatus(actor="a1", ticket_id=ticket.id, status="pending", expected_version=2)
        )

        assert isinstance(reply, c.CommandOk), reply

    async def test_a_rolled_back_change_is_forgotten(
        self, repos: tuple[SqliteRepository, SqliteRepository]
    ) -> None:
        repo = repos[0]
        await Writer(repo, Published()).ingest([inbound("1")])
        ticket = (await repo.list_tickets(ListTickets())).items[0]

        async def failing_handler() -> None:
            async with repo.transaction() as uow:
                await uow.update_ticket(ticket.model_copy(update={"status": "closed"}))
                raise RuntimeError("the handler failed after changing the ticket")

        with pytest.raises(RuntimeError):
            await failing_handler()

        async with repo.transaction() as uow:
            live = await uow.live_ticket(rules.thread_of(ticket))
        assert live is not None and live.status == "open"
