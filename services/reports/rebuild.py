"""`relaydesk reports rebuild`: ask the running reports service to fold the EVENTS stream into
its tables again, and wait for it to say how many events it read."""

import argparse
import asyncio
import sys

import nats

from contracts import subjects
from services.runtime.config import BaseServiceSettings


def rebuild_command(args: argparse.Namespace) -> int:
    """Ask the running reports service to rebuild its tables from the EVENTS stream."""

    async def ask() -> str:
        settings = BaseServiceSettings()

        async def quiet(error: Exception) -> None:
            """Connection errors are reported once, below, not as a traceback per attempt."""

        nc = await nats.connect(
            settings.nats_servers,
            connect_timeout=settings.connect_timeout,
            max_reconnect_attempts=1,
            allow_reconnect=False,
            error_cb=quiet,
        )
        try:
            reply = await nc.request(subjects.REPORTS_REBUILD, b"{}", timeout=args.timeout)
            return reply.data.decode()
        finally:
            await nc.drain()

    try:
        print(asyncio.run(ask()))
    except Exception as error:  # no NATS, or no reports service answering
        print(f"relaydesk: rebuild not done: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    return 0
