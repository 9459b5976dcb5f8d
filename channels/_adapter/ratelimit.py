"""Staying under a platform's rate limit before it answers 429: a token bucket per account.
Pure: the clock is passed in."""

import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.at = clock()

    def reserve(self) -> float:
        """Take one send; returns how long to wait before making it (0: now). Waiting callers
        hold their place, so a burst of chats is spread evenly instead of retried."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def take(self) -> bool:
        """Take one now if there is one; unlike `reserve`, a refusal costs nothing, so a
        client hammering past its limit is back to normal as soon as it slows down."""
        if self.reserve() > 0:
            self.tokens += 1
            return False
        return True
