"""Chooses the storage backend: MongoDB when `RELAYDESK_MONGO_URI` is set, else SQLite."""

from services.runtime.logging import mask_secrets
from services.store.repository import Repository
from services.store.settings import StoreSettings


def make_repository(settings: StoreSettings) -> Repository:
    if settings.mongo_uri is not None:
        from services.store.mongo import MongoRepository

        return MongoRepository.from_uri(settings.mongo_uri.get_secret_value(), settings.mongo_db)
    from services.store.sqlite import SqliteRepository

    return SqliteRepository(settings.sqlite_path)


async def preflight(settings: StoreSettings) -> None:
    """Fail fast, in one line, when MongoDB is configured but unreachable."""
    if settings.mongo_uri is None:
        return
    from pymongo import AsyncMongoClient
    from pymongo.errors import PyMongoError

    uri = settings.mongo_uri.get_secret_value()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        uri, serverSelectionTimeoutMS=int(settings.connect_timeout * 1000)
    )
    try:
        await client.admin.command("ping")
    except PyMongoError as error:
        reason = str(error).split(",")[0]
        raise ConnectionError(f"cannot reach MongoDB at {mask_secrets(uri)}: {reason}") from None
    finally:
        await client.close()
