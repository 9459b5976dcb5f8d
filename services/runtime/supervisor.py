"""`relaydesk up`: every service as its own OS process, prefixed logs, restarts with backoff.

Children run in their own session so a Ctrl-C reaches only the supervisor, which then stops
them in order; on Linux each child also dies with the supervisor (PR_SET_PDEATHSIG), so a
killed supervisor leaves no process behind.
"""

import asyncio
import contextlib
import ctypes
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from services.runtime.console import say

log = logging.getLogger("relaydesk.up")
LISTENING = re.compile(r"relaydesk: (?P<service>[\w-]+) listening on (?P<url>http://\S+)")


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str  # the service, or `<service>#<n>` for a further replica of it
    process: asyncio.subprocess.Process | None = None
    url: str | None = None
    restarts: int = 0
    started_at: float = 0.0
    pump: asyncio.Task[None] | None = field(default=None, repr=False)


class Supervisor:
    def __init__(
        self,
        names: list[str],
        env: dict[str, str],
        *,
        backoff_max: float = 30.0,
        on_listening: Callable[[str, str], None] | None = None,
        out: Callable[[str], None] = say,
        overrides: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """`names`: the services to run; `telegram#2` runs a second replica of telegram with
        `overrides["telegram#2"]` on top of `env` (its own port, say)."""
        self.children = {name: Child(name) for name in names}
        self.env = env
        self.overrides = overrides or {}
        self.backoff_max = backoff_max
        self.on_listening = on_listening
        self.out = out
        self.stopping = asyncio.Event()

    async def _spawn(self, child: Child) -> asyncio.subprocess.Process:
        process = child.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.runtime.cli",
            "run",
            child.name.partition("#")[0],
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**self.env, **self.overrides.get(child.name, {})},
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        child.started_at = time.monotonic()
        child.pump = asyncio.create_task(self._pump(child, process))
        return process

    async def _pump(self, child: Child, process: asyncio.subprocess.Process) -> None:
        if process.stdout is None:  # spawned with stdout=PIPE: never
            raise RuntimeError(f"{child.name} has no output to follow")
        width = max(len(n) for n in self.children)
        async for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip()
            if m := LISTENING.search(line):
                child.url = m.group("url")
                if self.on_listening:
                    self.on_listening(child.name, child.url)
            self.out(f"[{child.name:<{width}}] {line}")

    async def _watch(self, child: Child) -> None:
        delay = 1.0
        while not self.stopping.is_set():
            process = await self._spawn(child)
            code = await process.wait()
            if child.pump:
                await child.pump
            if self.stopping.is_set():
                return
            # A service that ran a while before dying starts again from a short wait.
            if time.monotonic() - child.started_at > 60:
                delay = 1.0
            child.restarts += 1
            self.out(f"[up] {child.name} exited with {code}; restarting in {delay:.0f}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)
            delay = min(delay * 2, self.backoff_max)

    async def run(self) -> None:
        watchers = [asyncio.create_task(self._watch(c)) for c in self.children.values()]
        await self.stopping.wait()
        await self._terminate_all()
        for w in watchers:
            w.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)

    async def _terminate_all(self, grace: float = 10.0) -> None:
        running = [
            c.process
            for c in self.children.values()
            if c.process is not None and c.process.returncode is None
        ]
        for p in running:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in running)), grace)
        except TimeoutError:
            for p in running:
                if p.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(p.pid, signal.SIGKILL)
            await asyncio.gather(*(p.wait() for p in running))

    def stop(self) -> None:
        self.stopping.set()
