"""What one delivery attempt came to, and how long to wait before the next. Pure."""

import random
from dataclasses import dataclass

MAX_ATTEMPTS = 8
FIRST_WAIT = 0.5
MAX_WAIT = 60.0


@dataclass(frozen=True)
class Sent:
    external_id: str | None


@dataclass(frozen=True)
class Retry:
    """A network error, a 5xx or a rate limit: try again, after `after` if the platform said."""

    reason: str
    after: float | None = None


@dataclass(frozen=True)
class Failed:
    """Permanent: blocked by the user, chat not found, a message the platform refuses."""

    reason: str


Outcome = Sent | Retry | Failed


def wait_before(attempt: int, outcome: Retry, rng: random.Random | None = None) -> float:
    """The platform's own `retry_after` when it gave one (honoured as is); otherwise
    exponential backoff with jitter, so many chats retrying do not hit the API together."""
    if outcome.after is not None:
        return outcome.after
    ceiling: float = min(MAX_WAIT, FIRST_WAIT * 2 ** (attempt - 1))
    jitter: float = (rng or random.Random()).random()
    return ceiling * (0.5 + jitter / 2)
