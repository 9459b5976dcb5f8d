"""The adapter framework's pure parts: rate limits and retry waits."""

import random

from channels._adapter.outcome import MAX_WAIT, Retry, wait_before
from channels._adapter.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_at_once_and_the_rest_is_spread_at_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=30, burst=30, clock=clock)

    waits = [bucket.reserve() for _ in range(60)]

    assert waits[:30] == [0.0] * 30
    assert abs(waits[-1] - 1.0) < 1e-9  # the 60th send goes a second later
    assert waits[30:] == sorted(waits[30:])


def test_the_bucket_refills_while_idle() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    for _ in range(5):
        bucket.reserve()

    clock.now += 0.5

    assert [bucket.reserve() for _ in range(5)] == [0.0] * 5


def test_the_platforms_retry_after_is_honoured_as_is() -> None:
    assert wait_before(3, Retry("429", after=7.0)) == 7.0


def test_backoff_grows_with_jitter_and_stays_under_the_cap() -> None:
    rng = random.Random(1)
    waits = [wait_before(n, Retry("network"), rng) for n in range(1, 12)]

    assert all(0 < w <= MAX_WAIT for w in waits)
    assert waits[5] > waits[0]
