"""Per client address limits of the web chat: how many connections one address keeps open,
and how many messages it sends. Pure.

A visitor's own rate (one token bucket per connection) stops one person flooding; this stops
one machine that opens many visitors. Addresses are remembered in a bounded LRU, so a scan
from many addresses cannot grow memory without end.
"""

from collections import OrderedDict, defaultdict

from channels._adapter.ratelimit import TokenBucket

REMEMBERED = 50_000


class AddressLimits:
    def __init__(self, max_connections: int, rate: float, burst: int) -> None:
        self.max_connections = max_connections
        self.rate = rate
        self.burst = burst
        self.open: defaultdict[str, int] = defaultdict(int)
        self.buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def connect(self, address: str) -> bool:
        """Count a new connection from `address`; False (and not counted) when it has too many."""
        if self.open[address] >= self.max_connections:
            return False
        self.open[address] += 1
        return True

    def disconnect(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]

    def message(self, address: str) -> bool:
        """Whether `address` may send one more message now."""
        bucket = self.buckets.pop(address, None) or TokenBucket(self.rate, self.burst)
        self.buckets[address] = bucket
        if len(self.buckets) > REMEMBERED:
            self.buckets.popitem(last=False)
        return bucket.take()
