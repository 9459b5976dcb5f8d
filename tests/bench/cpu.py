"""CPU time the processes of a benchmark spent in one phase, per message.

A rate moves by 10-20% between runs on a shared 2-core machine; CPU time per message
barely does, and it answers what a rate cannot: how many cores a target rate would take.
Linux only (it reads /proc/<pid>/stat, user + system time of every thread).
"""

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.integration.processes import ServiceProcess

TICKS = os.sysconf("SC_CLK_TCK")
LOAD = "load generator"
"""This benchmark's own process: whatever it does to drive and watch the system."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far, all threads included."""
    # The command name in field 2 may hold spaces: the fields that follow start after ")".
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def pids(services: Sequence[ServiceProcess]) -> list[int]:
    """The process ids of services started with `ServiceProcess`."""
    return [s.process.pid for s in services if s.process]


class CpuMeter:
    """Start it when a phase starts; `per_message` when it ends. Each name may stand for
    several processes (two router replicas): their times add up."""

    def __init__(self, pids: Mapping[str, Sequence[int]]) -> None:
        self.pids = pids
        self.started = self._now()

    def _now(self) -> dict[str, float]:
        now = {name: sum(map(cpu_seconds, pids)) for name, pids in self.pids.items()}
        now[LOAD] = time.process_time()
        return now

    def per_message(self, messages: int) -> dict[str, float]:
        """Microseconds of CPU per message, by process, and their `total`."""
        ended = self._now()
        used = {name: (ended[name] - self.started[name]) / messages * 1e6 for name in ended}
        used["total"] = sum(used.values())
        return {name: round(us) for name, us in used.items()}


def cores_needed(per_message: dict[str, float], rate: float) -> float:
    """The cores `rate` messages a second would keep busy at this CPU cost per message."""
    return round(per_message["total"] * rate / 1e6, 2)
