"""Sums kept next to the report rows: what a batch of rows adds to them. Pure.

A month's page over a million messages must not read a million rows (Python spends 1 us on
each row it is handed), so the tables also keep each whole UTC day's sums per department,
agent and channel: counts for SLA and ratings, and the working times themselves as packed
float64 arrays (medians and p90s must be exact, and an array of a day's values for one
agent is read in one piece). Volume gets whole hours besides its quarter hours: every time
zone with whole-hour offsets (almost all) reads a quarter as many. `figures` reads a period's
whole days from the sums and the hours at its ends from the rows.
"""

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.reports.fold import RatingRow, Row, SlaOutcome, Timing, Volume

DAY = 86400
HOUR = 3600

# `||` of two blobs is text holding their bytes; the cast keeps it a blob.
_APPEND = "n = n + excluded.n, business = CAST(business || excluded.business AS BLOB)"
ADD_TIMING_DAYS = (
    f"INSERT INTO timing_days VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET {_APPEND}"  # noqa: S608
)
ADD_TIMING_DEPARTMENTS = (
    f"INSERT INTO timing_departments VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET {_APPEND}"  # noqa: S608
)
RATING_SUMS = ("asked", "rated", "total", "score_1", "score_2", "score_3", "score_4", "score_5")
_ADDED = ", ".join(f"{col} = {col} + excluded.{col}" for col in RATING_SUMS)
ADD_RATING_DAYS = (
    f"INSERT INTO rating_days VALUES ({', '.join('?' * 12)}) ON CONFLICT DO UPDATE SET {_ADDED}"  # noqa: S608
)


def day(ts: float) -> int:
    return int(ts // DAY) * DAY


def hour(ts: float) -> int:
    return int(ts // HOUR) * HOUR


VolumeKey = tuple[int, str, str, str, str]  # bucket, channel, department, agent, kind
Counts = Counter[tuple[object, ...]]


def volumes(rows: Iterable[Row]) -> tuple[Counter[VolumeKey], Counts, Counts]:
    """The batch's volume rows counted per quarter hour (all dimensions and per department)
    and per hour (per department): one upsert per key, not one per message."""
    full: Counter[VolumeKey] = Counter(
        (r.bucket, r.channel, r.department, r.agent, r.kind) for r in rows if type(r) is Volume
    )
    departments: Counts = Counter()
    hours: Counts = Counter()
    for (bucket, _, department, _, kind), n in full.items():
        departments[(bucket, department, kind)] += n
        hours[(hour(bucket), department, kind)] += n
    return full, departments, hours


def timing_days(rows: Iterable[Row]) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Per (day, department, agent, channel, kind), and per (day, department, kind) for the
    page most asked for: how many, and the working times packed."""
    values: dict[tuple[object, ...], array[float]] = {}
    departments: dict[tuple[object, ...], array[float]] = {}
    for r in rows:
        if isinstance(r, Timing):
            key = (day(r.at), r.department, r.agent, r.channel, r.kind)
            values.setdefault(key, array("d")).append(r.business)
            departments.setdefault((key[0], r.department, r.kind), array("d")).append(r.business)
    return _packed(values), _packed(departments)


def _packed(sums: "dict[tuple[object, ...], array[float]]") -> list[tuple[object, ...]]:
    return [(*key, len(packed), packed.tobytes()) for key, packed in sums.items()]


def sla_days(rows: Iterable[Row]) -> list[tuple[object, ...]]:
    """Per (day, department, agent, channel, target): targets met, and how many measured."""
    counts: dict[tuple[object, ...], list[int]] = {}
    for r in rows:
        if isinstance(r, SlaOutcome):
            met_n = counts.setdefault(
                (day(r.at), r.department, r.agent, r.channel, r.target), [0, 0]
            )
            met_n[0] += r.met
            met_n[1] += 1
    return [(*key, met, n) for key, (met, n) in counts.items()]


@dataclass(frozen=True)
class Rating(RatingRow):
    """A rating row as the `ratings` table keeps it: asked once, its score and time updated
    when the customer answers (so it counts in the period it was answered in)."""

    def after(self, row: RatingRow) -> "Rating":
        """This row after `row` for the same ask: what the table's upsert does."""
        score = row.score if row.score is not None else self.score
        return Rating(*self.key, row.at, self.channel, self.department, self.agent, score)

    @property
    def key(self) -> tuple[str, str]:
        return (self.ticket_id, self.asked_at)

    def sums(self) -> tuple[tuple[object, ...], list[int]]:
        """Its key in `rating_days` and what it adds there: asked, rated, score total, and
        one for its score among 1..5."""
        scored = [int(self.score == n) for n in range(1, 6)]
        rated = int(self.score is not None)
        return (day(self.at), self.channel, self.department, self.agent), [
            1, rated, self.score or 0, *scored
        ]  # fmt: skip


def ratings(
    before: dict[tuple[str, str], Rating], rows: Sequence[Row]
) -> tuple[list[Rating], list[tuple[object, ...]]]:
    """The batch's rating rows applied to the rows as they were (`before`, read from the
    table): the rows to write, and what changes in `rating_days` (what they added before is
    taken away, what they add now is added)."""
    now = dict(before)
    for r in rows:
        if isinstance(r, RatingRow):
            key = (r.ticket_id, r.asked_at)
            old = now.get(key)
            now[key] = old.after(r) if old is not None else Rating(*vars(r).values())
    changed = [rating for key, rating in now.items() if before.get(key) != rating]
    deltas: dict[tuple[object, ...], list[int]] = {}
    taken = [(before[r.key], -1) for r in changed if r.key in before]
    for rating, sign in taken + [(r, 1) for r in changed]:
        day_key, adds = rating.sums()
        total = deltas.setdefault(day_key, [0] * 8)
        for i, n in enumerate(adds):
            total[i] += sign * n
    return changed, [(*key, *sums) for key, sums in deltas.items() if any(sums)]
