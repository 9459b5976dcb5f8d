"""The repository contract on the embedded SQLite backend."""

import asyncio
import itertools
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contracts import commands as c
from contracts.queries import ListTickets
from services.store import paging, rules
from services.store import writer as writer_module
from services.store.errors import Invalid
from services.store.records import Outcome
from services.store.repository import Repository, UnitOfWork
from services.store.sqlite import SqliteRepository, checkpoint, writes
from services.store.writer import Writer
from tests.contract.directory_suite import DirectorySuite
from tests.contract.email_suite import EmailThreadingSuite
from tests.contract.menu_suite import MenuSuite
from tests.contract.platform_suite import PlatformIdSuite
from tests.contract.service_levels_suite import ServiceLevelsSuite
from tests.contract.suite import Published, RepositorySuite, inbound

pytestmark = pytest.mark.contract
_files = itertools.count()


class TestSqliteRepository(
    RepositorySuite,
    DirectorySuite,
    PlatformIdSuite,
    EmailThreadingSuite,
    ServiceLevelsSuite,
    MenuSuite,
):
    @pytest.fixture(autouse=True)
    def _dir(self, tmp_path: Path) -> None:
        self.dir = tmp_path

    async def make_repository(self) -> Repository:
        return SqliteRepository(self.dir / f"store-{next(_files)}.sqlite3")


@pytest.fixture
async def sqlite_repo(tmp_path: Path) -> AsyncIterator[SqliteRepository]:
    """One store's repository, checkpointing often enough for a test to see it."""
    repo = SqliteRepository(tmp_path / "s.sqlite3")
    repo.checkpoints.interval = 0.05
    await repo.setup()
    yield repo
    await repo.close()


class TestTwoProcessesOnOneFile:
    """Two store processes on one file: what one commits, the other's next transaction
    reads, and nothing of a rolled-back transaction lingers in memory."""

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

        # Only right if `here` reads version 2, the one `there` wrote.
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


class TestCommandBatches:
    """A batch of commands is one transaction; a command refused after it had written
    cannot be undone alone, so the batch is run again one command per transaction."""

    async def test_a_command_refused_after_writing_leaves_no_trace_and_the_rest_apply(
        self, sqlite_repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        repo = sqlite_repo
        published = Published()
        writer = Writer(repo, published)
        for n in range(3):
            await writer.ingest([inbound(f"b{n}", thread=f"b{n}")])
        ids = [t.id for t in (await repo.list_tickets(ListTickets(order="queue"))).items]

        async def writes_then_refuses(uow: UnitOfWork, cmd: c.TagTicket) -> Outcome:
            ticket = await uow.get_ticket(cmd.ticket_id)
            assert ticket is not None
            await uow.update_ticket(rules.changed(ticket, tags=["half-done"]))
            raise Invalid("refused after writing", "tags")

        monkeypatch.setitem(writer_module.HANDLERS, c.TagTicket, writes_then_refuses)
        before = len(published.items)

        replies = await writer.execute_many(
            [
                c.AssignTicket(actor="r", ticket_id=ids[0], agent="a1"),
                c.TagTicket(actor="r", ticket_id=ids[1], add=["x"]),
                c.AssignTicket(actor="r", ticket_id=ids[2], agent="a3"),
            ]
        )

        codes = [r.code if isinstance(r, c.CommandError) else "ok" for r in replies]
        assert codes == ["ok", "invalid", "ok"]
        tickets = {t.id: t for t in (await repo.list_tickets(ListTickets())).items}
        assert [tickets[i].assignee for i in ids] == ["a1", None, "a3"]
        assert tickets[ids[1]].tags == [] and tickets[ids[1]].version == 1
        assert published.subjects()[before:] == ["events.ticket.assigned"] * 2


async def test_what_was_written_reaches_the_database_file_without_a_commit_doing_it(
    sqlite_repo: SqliteRepository,
) -> None:
    repo = sqlite_repo
    before = repo.path.stat().st_size
    await Writer(repo, Published()).ingest(
        [inbound(str(n), "Здравствуйте " * 50, thread=f"t{n}") for n in range(300)]
    )
    written = repo.path.stat().st_size  # the commit itself left everything in the WAL

    async with asyncio.timeout(5):  # the checkpointer runs every 0.05 s here
        while repo.path.stat().st_size == before:
            await asyncio.sleep(0.01)

    assert written == before
    assert repo.path.stat().st_size > before


async def test_stopping_the_checkpointer_mid_checkpoint_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, finished = threading.Event(), threading.Event()

    def slow_checkpoint(conn: sqlite3.Connection) -> None:
        started.set()
        time.sleep(0.2)  # the copy back into the database file, in its thread
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()  # the connection is open
        finished.set()

    monkeypatch.setattr(checkpoint, "_checkpoint", slow_checkpoint)
    checkpointer = checkpoint.Checkpointer(tmp_path / "c.sqlite3", interval=0.01)
    checkpointer.start()
    await asyncio.to_thread(started.wait, 5)

    await checkpointer.stop()

    assert finished.is_set()


class _Stuck:
    """A reader whose query runs until released: a search over millions of messages."""

    def __init__(self, real: sqlite3.Connection, release: threading.Event) -> None:
        self.real, self.release = real, release

    def execute(self, sql: str, params: list[object]) -> sqlite3.Cursor:
        self.release.wait(10)
        return self.real.execute(sql, params)

    def close(self) -> None:
        self.real.close()


async def test_ingestion_goes_on_while_a_hostile_search_runs(
    sqlite_repo: SqliteRepository,
) -> None:
    repo, writer = sqlite_repo, Writer(sqlite_repo, Published())
    await writer.ingest([inbound("1", "первое")])
    release = threading.Event()
    assert repo.reader is not None
    repo.reader = _Stuck(repo.reader, release)  # type: ignore[assignment]
    hostile = " ".join(["а", "б", "в", "г", "д", "е"] * 10)

    search = asyncio.create_task(repo.list_tickets(ListTickets(q=hostile)))
    await asyncio.sleep(0.05)  # the search is in its thread now
    await writer.ingest([inbound("2", "пока идёт поиск", thread="t2")])
    stored_while_searching = not search.done()
    release.set()
    await search

    assert stored_while_searching
    assert len((await repo.list_tickets(ListTickets())).items) == 2


def test_a_query_counts_at_most_eight_distinct_words() -> None:
    assert paging.search_terms("а б а в г д е ж з и к л") == [
        "а",
        "б",
        "в",
        "г",
        "д",
        "е",
        "ж",
        "з",
    ]


class TestTicketColumns:
    """An update sets only the columns that changed; the row must still match the ticket."""

    @staticmethod
    def columns(repo: SqliteRepository) -> dict[str, tuple[object, ...]]:
        rows = repo.conn.execute(f"SELECT id, {writes.TICKET_COLUMNS} FROM tickets")  # noqa: S608
        return {row[0]: tuple(row[1:-1]) for row in rows}

    async def expect_rows_match_tickets(self, repo: SqliteRepository) -> None:
        for ticket_id, row in self.columns(repo).items():
            ticket = await repo.ticket(ticket_id)
            assert ticket is not None and row == writes.ticket_row_columns(ticket)

    async def test_each_change_of_an_indexed_column_reaches_its_column(
        self, sqlite_repo: SqliteRepository
    ) -> None:
        writer = Writer(sqlite_repo, Published())
        await writer.ingest([inbound("1")])
        (ticket_id,) = self.columns(sqlite_repo)

        for command in (
            c.TransferTicket(actor="router", ticket_id=ticket_id, department="billing"),
            c.AssignTicket(actor="router", ticket_id=ticket_id, agent="a1"),
            c.TagTicket(actor="a1", ticket_id=ticket_id, add=["vip", "счёт"]),
            c.SetPriority(actor="a1", ticket_id=ticket_id, priority="urgent"),
            c.SetStatus(actor="a1", ticket_id=ticket_id, status="resolved"),
        ):
            assert isinstance(await writer.execute(command), c.CommandOk)
            await self.expect_rows_match_tickets(sqlite_repo)

    async def test_a_customer_writing_again_reopens_the_row_too(
        self, sqlite_repo: SqliteRepository
    ) -> None:
        writer = Writer(sqlite_repo, Published())
        await writer.ingest([inbound("1")])
        (ticket_id,) = self.columns(sqlite_repo)
        await writer.execute(c.SetStatus(actor="a1", ticket_id=ticket_id, status="pending"))

        await writer.ingest([inbound("2", "Ещё вопрос 🙏"), inbound("3", thread="chat-2")])

        await self.expect_rows_match_tickets(sqlite_repo)
        statuses = {row[1] for row in self.columns(sqlite_repo).values()}
        assert statuses == {"open"}

    async def test_a_ticket_created_and_changed_in_one_batch_is_stored_as_last_changed(
        self, sqlite_repo: SqliteRepository
    ) -> None:
        writer = Writer(sqlite_repo, Published())

        # A second thread between the two reads the tickets table, so the first ticket is
        # written before its second message changes it, all in one transaction.
        await writer.ingest([inbound("1"), inbound("2", thread="chat-2"), inbound("3")])

        await self.expect_rows_match_tickets(sqlite_repo)
        versions = sorted(row[10] for row in self.columns(sqlite_repo).values())
        assert versions == [1, 2]
