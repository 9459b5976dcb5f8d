"""`relaydesk doctor`: configuration and connectivity checks, reported in plain words."""

import os
import tempfile
from collections.abc import Callable

import nats
from pydantic import ValidationError

from contracts import streams
from services.runtime.broker import check_nats
from services.runtime.config import BaseServiceSettings
from services.runtime.logging import mask_secrets
from services.runtime.nats_server import server_binary

Say = Callable[[str], None]


async def run_checks(say: Say) -> int:
    """Print one line per check; return how many failed."""
    problems = 0

    def bad(text: str) -> None:
        nonlocal problems
        problems += 1
        say(f"PROBLEM  {text}")

    try:
        settings = BaseServiceSettings()
    except ValidationError as error:
        bad(f"settings: {error.error_count()} invalid RELAYDESK_* value(s): {error}")
        return problems
    say(f"ok       settings read (data dir {settings.data_dir})")

    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.data_dir):
            pass
        say(f"ok       data dir {settings.data_dir} is writable")
    except OSError as error:
        bad(f"data dir {settings.data_dir} is not writable: {error.strerror}")

    if not os.environ.get("RELAYDESK_NATS_URL"):
        try:
            say(f"ok       no RELAYDESK_NATS_URL: `up` will start {server_binary()}")
        except FileNotFoundError as error:
            bad(str(error))
    else:
        url = settings.nats_servers[0]
        try:
            await check_nats(url, settings.connect_timeout)
            nc = await nats.connect(url, connect_timeout=settings.connect_timeout)
            try:
                js = nc.jetstream()
                await js.account_info()
                names = {s.config.name for s in await js.streams_info()}
                missing = [s.name for s in streams.ALL_STREAMS if s.name not in names]
                say(f"ok       NATS at {mask_secrets(url)} with JetStream")
                if missing:
                    say(f"note     streams not created yet (services create them): {missing}")
            except Exception as error:
                bad(f"NATS at {url} has no JetStream (start it with -js): {error}")
            finally:
                await nc.close()
        except ConnectionError as error:
            bad(str(error))

    mongo_uri = os.environ.get("RELAYDESK_MONGO_URI")
    if mongo_uri:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        client: MongoClient[dict[str, object]] = MongoClient(
            mongo_uri, serverSelectionTimeoutMS=3000
        )
        try:
            client.admin.command("ping")
            say("ok       MongoDB reachable")
        except PyMongoError as error:
            bad(f"cannot reach MongoDB ({mask(mongo_uri)}): {str(error).splitlines()[0]}")
        finally:
            client.close()
    else:
        say("ok       no RELAYDESK_MONGO_URI: the store uses the embedded SQLite backend")
    return problems


def mask(uri: str) -> str:
    from services.runtime.logging import mask_secrets

    return mask_secrets(uri)
