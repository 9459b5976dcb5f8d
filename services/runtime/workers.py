"""A service's long-running background tasks (consumers, sweeps, relays), stopped together."""

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


class Workers:
    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []

    def start(self, *jobs: Coroutine[Any, Any, Any]) -> None:
        self.tasks += [asyncio.create_task(job) for job in jobs]

    async def stop(self) -> None:
        """Cancel every task and wait for each to finish its cleanup."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
