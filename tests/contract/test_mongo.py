"""The repository contract on the MongoDB backend.

Always: against mongomock-ng ("at least executed": every query the backend builds runs).
With RELAYDESK_TEST_MONGO_URI set (a replica set, e.g. `docker compose -f deploy/compose.yaml
up mongo`): against that real server too, including $text search and transactions.
"""

import os
import uuid

import pytest

from services.store.mongo import MongoRepository
from services.store.repository import Repository
from tests.contract.directory_suite import DirectorySuite
from tests.contract.email_suite import EmailThreadingSuite
from tests.contract.menu_suite import MenuSuite
from tests.contract.mongo_fake import FakeAsyncMongoClient
from tests.contract.platform_suite import PlatformIdSuite
from tests.contract.service_levels_suite import ServiceLevelsSuite
from tests.contract.suite import RepositorySuite

pytestmark = pytest.mark.contract
MONGO_URI = os.environ.get("RELAYDESK_TEST_MONGO_URI")


class TestMongoRepositoryOnMongomockFake(
    RepositorySuite,
    DirectorySuite,
    PlatformIdSuite,
    EmailThreadingSuite,
    ServiceLevelsSuite,
    MenuSuite,
):
    supports_text_search = False

    async def make_repository(self) -> Repository:
        return MongoRepository(FakeAsyncMongoClient(), "relaydesk_test")


@pytest.mark.skipif(not MONGO_URI, reason="set RELAYDESK_TEST_MONGO_URI to run on real MongoDB")
class TestMongoRepositoryOnRealServer(
    RepositorySuite,
    DirectorySuite,
    PlatformIdSuite,
    EmailThreadingSuite,
    ServiceLevelsSuite,
    MenuSuite,
):
    async def make_repository(self) -> Repository:
        assert MONGO_URI
        return MongoRepository.from_uri(MONGO_URI, f"relaydesk_test_{uuid.uuid4().hex[:8]}")
