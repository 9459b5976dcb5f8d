"""WAL checkpoints off the write path.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the
event loop: every few thousand messages one commit stalled while the WAL was copied back
into the database file. Here a thread with a connection of its own does it every second
instead, in PASSIVE mode (it never waits for the writer or for readers); the copy and its
fsync release the GIL, so the event loop keeps serving meanwhile.

The WAL file is not truncated after a reset (`journal_size_limit`): SQLite does that inside
the next commit, and cutting a file of a few hundred MB stalled that commit for 0.6 s.
"""

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

log = logging.getLogger("relaydesk.store.sqlite")


class Checkpointer:
    def __init__(self, path: Path, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while True:
                await asyncio.sleep(self.interval)
                work = asyncio.ensure_future(asyncio.to_thread(_checkpoint, conn))
                try:
                    await asyncio.shield(work)
                except sqlite3.Error as error:  # busy, or the file went away: next round
                    log.warning("WAL checkpoint skipped: %s", error)
                except asyncio.CancelledError:
                    # Stopped mid-checkpoint: the thread still uses the connection, and
                    # closing it under the thread crashes the process (a segfault).
                    with contextlib.suppress(Exception):
                        await work
                    raise
        finally:
            conn.close()


def _checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
