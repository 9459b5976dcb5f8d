"""The repository contract on the embedded SQLite backend."""

import itertools
from pathlib import Path

import pytest

from services.store.repository import Repository
from services.store.sqlite import SqliteRepository
from tests.contract.directory_suite import DirectorySuite
from tests.contract.suite import RepositorySuite

pytestmark = pytest.mark.contract
_files = itertools.count()


class TestSqliteRepository(RepositorySuite, DirectorySuite):
    @pytest.fixture(autouse=True)
    def _dir(self, tmp_path: Path) -> None:
        self.dir = tmp_path

    async def make_repository(self) -> Repository:
        return SqliteRepository(self.dir / f"store-{next(_files)}.sqlite3")
