"""The benchmarks' CPU accounting: time read from /proc, split per message and per process."""

import os
import time

from tests.bench.cpu import LOAD, CpuMeter, cores_needed, cpu_seconds


def burn(seconds: float) -> None:
    """Spend `seconds` of CPU (not of the clock: a loaded machine must not change it)."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def test_a_busy_process_gains_cpu_time() -> None:
    before = cpu_seconds(os.getpid())

    burn(0.3)

    assert cpu_seconds(os.getpid()) - before >= 0.28


def test_cpu_is_split_per_message_for_each_process_and_summed() -> None:
    meter = CpuMeter({"this test": [os.getpid()]})

    burn(0.3)
    used = meter.per_message(1000)

    # ~300 us of CPU per message, seen once from /proc and once as the load generator's own
    assert 280 <= used["this test"] <= 400
    assert 280 <= used[LOAD] <= 400
    assert abs(used["total"] - used["this test"] - used[LOAD]) <= 1


def test_cores_needed_is_cpu_per_message_times_the_rate() -> None:
    assert cores_needed({"total": 250.0}, rate=10_000) == 2.5
