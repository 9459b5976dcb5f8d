"""Login throttling: after a few failures for one key (an email tried from one client
address; with a larger allowance, the address alone), every further attempt must wait, twice
as long each time, up to a cap. Pure: the clock is passed in.

An attempt is counted before its password is checked (`reserve`), so attempts sent in
parallel cannot all slip past the limit while the slow check runs; a success takes its count
back. Keys pair the email with the address on purpose: failures from one address never lock
the agent out of logging in from another.

Kept in memory per inbox process: an attacker spread over replicas gets a few more tries,
which the exponential wait still makes useless.
"""

from dataclasses import dataclass, field

FREE_FAILURES = 3
FIRST_WAIT = 1.0
MAX_WAIT = 300.0
FORGET_AFTER = 3600.0


@dataclass
class _Record:
    failures: int = 0
    until: float = 0.0
    last: float = 0.0


@dataclass
class LoginThrottle:
    free_failures: int = FREE_FAILURES
    records: dict[str, _Record] = field(default_factory=dict)

    def wait(self, keys: list[str], now: float) -> float:
        """Seconds until an attempt for any of `keys` is allowed (0: go ahead)."""
        waits = [self.records[k].until - now for k in keys if k in self.records]
        return max([0.0, *waits])

    def reserve(self, keys: list[str], now: float) -> float:
        """In one step: the wait before an attempt is allowed, or 0 and the attempt counted
        as a failure until `succeeded` or `refund` takes it back."""
        wait = self.wait(keys, now)
        if wait <= 0:
            self.failed(keys, now)
        return wait

    def refund(self, keys: list[str]) -> None:
        """Take back one counted attempt (it succeeded) without forgiving the others."""
        for key in keys:
            if (record := self.records.get(key)) is not None:
                record.failures = max(record.failures - 1, 0)
                if record.failures <= self.free_failures:
                    record.until = 0.0

    def failed(self, keys: list[str], now: float) -> None:
        self._forget_old(now)
        for key in keys:
            record = self.records.setdefault(key, _Record())
            record.failures += 1
            record.last = now
            extra = record.failures - self.free_failures
            if extra > 0:
                record.until = now + min(FIRST_WAIT * 2 ** (extra - 1), MAX_WAIT)

    def succeeded(self, keys: list[str]) -> None:
        for key in keys:
            self.records.pop(key, None)

    def _forget_old(self, now: float) -> None:
        for key in [k for k, r in self.records.items() if now - r.last > FORGET_AFTER]:
            del self.records[key]
