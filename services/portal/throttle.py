"""At most `limit` requests per key in any `seconds`: sign-in links per address and per client
address. Pure: the clock is passed in. Kept in memory per process (a few more links for an
attacker spread over replicas, each still going only to the address's owner)."""

from collections import deque
from dataclasses import dataclass, field


@dataclass
class Window:
    limit: int
    seconds: float
    seen: dict[str, deque[float]] = field(default_factory=dict)

    def take(self, key: str, now: float) -> bool:
        times = self.seen.setdefault(key, deque())
        while times and times[0] <= now - self.seconds:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        if len(self.seen) > 100_000:  # bounded: forget the quiet ones
            self.seen = {k: v for k, v in self.seen.items() if v and v[-1] > now - self.seconds}
        return True
