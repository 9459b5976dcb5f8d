"""How many bytes web chat visitors may upload: per visitor and per client address, within
the last hour. Pure: the clock is passed in.

Uploads cost disk until a message uses them (and unused ones expire, see staging.py), so the
per-address rate limit on messages is not enough: one address could upload without end.
Windows are remembered in a bounded LRU, so many addresses cannot grow memory without end.
"""

from collections import OrderedDict, deque

HOUR = 3600.0
REMEMBERED = 50_000


class UploadQuota:
    def __init__(self, visitor_bytes: int, address_bytes: int) -> None:
        self.limits = {"visitor": visitor_bytes, "address": address_bytes}
        self.windows: OrderedDict[str, deque[tuple[float, int]]] = OrderedDict()

    def refusal(self, visitor: str, address: str, size: int, now: float) -> str | None:
        """Why `size` more bytes are refused now, or None when they fit."""
        for kind, key in (("visitor", f"v:{visitor}"), ("address", f"a:{address}")):
            if self._used(key, now) + size > self.limits[kind]:
                mb = self.limits[kind] / 1_000_000
                return f"upload limit reached: {mb:g} MB per {kind} and hour; try again later"
        return None

    def record(self, visitor: str, address: str, size: int, now: float) -> None:
        for key in (f"v:{visitor}", f"a:{address}"):
            window = self.windows.pop(key, None) or deque()
            window.append((now, size))
            self.windows[key] = window
        while len(self.windows) > REMEMBERED:
            self.windows.popitem(last=False)

    def _used(self, key: str, now: float) -> int:
        window = self.windows.get(key)
        if not window:
            return 0
        while window and window[0][0] <= now - HOUR:
            window.popleft()
        return sum(size for _, size in window)
