"""Report tables as the inbox asks for them: filtered by period, channel, department and
agent, grouped, in the asker's time zone. Reads only the materialized tables; the grouping
of 15-minute buckets into local hours, days, weeks and months happens here, so any time zone
(Kolkata's half hours too) sees whole local periods.
"""

import math
from array import array
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from contracts.reports import ReportQuery, ReportTable
from services.reports.fold import BUCKET
from services.reports.rollups import DAY, HOUR, RATING_SUMS
from services.reports.tables import Tables

AGES = ((3600, "<1h"), (4 * 3600, "1-4h"), (86400, "4-24h"), (3 * 86400, "1-3d"),
        (7 * 86400, "3-7d"), (float("inf"), ">7d"))  # fmt: skip
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


Bounds = tuple[float, float]


def where(
    q: ReportQuery,
    time_column: str | None,
    agent_column: str = "agent",
    bounds: Bounds | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE clause of every table: period (or `bounds`), filters, the asker's scope."""
    clauses: list[str] = ["1=1"]
    params: list[Any] = []
    if time_column:
        clauses.append(f"{time_column} >= ? AND {time_column} < ?")
        params += list(bounds or (q.since.timestamp(), q.until.timestamp()))
    for column, value in (
        ("channel", q.channel),
        ("department", q.department),
        (agent_column, q.agent),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if q.departments is not None:
        clauses.append(f"department IN ({','.join('?' * len(q.departments)) or 'NULL'})")
        params += q.departments
    if q.agents is not None and q.group == "agent":
        clauses.append(f"{agent_column} IN ({','.join('?' * len(q.agents)) or 'NULL'})")
        params += q.agents
    return " AND ".join(clauses), params


def period_key(ts: float, zone: tzinfo, period: str) -> str:
    local = datetime.fromtimestamp(ts, UTC).astimezone(zone)
    if period == "hour":
        return local.strftime("%Y-%m-%d %H:00")
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.strftime("%Y-%m" if period == "month" else "%Y-%m-%d")


def spans(q: ReportQuery, days: bool = True) -> tuple[list[Bounds], Bounds | None]:
    """The period as the hours at its ends, read from the rows, and the whole UTC days
    between them, read from the day sums (None when it has none, or `days` is off)."""
    lo, hi = q.since.timestamp(), q.until.timestamp()
    first, last = math.ceil(lo / DAY) * DAY, math.floor(hi / DAY) * DAY
    if not days or first >= last:
        return [(lo, hi)], None
    return [(a, b) for a, b in ((lo, first), (last, hi)) if a < b], (first, last)


def _whole_hours(q: ReportQuery) -> bool:
    """Whether hour sums give the period's local hours: it starts and ends on a UTC hour and
    its time zone is a whole number of hours from UTC all along (India's is not)."""
    zone = ZoneInfo(q.timezone)
    lo, hi = q.since.timestamp(), q.until.timestamp()
    if lo % HOUR or hi % HOUR:
        return False
    probes = [*range(int(lo), int(hi), DAY), hi]
    offsets = (datetime.fromtimestamp(ts, UTC).astimezone(zone).utcoffset() for ts in probes)
    return all(o is not None and o.total_seconds() % HOUR == 0 for o in offsets)


def _narrowed(q: ReportQuery) -> bool:
    """Whether a channel or agent narrows the figures (the per-department sums cannot)."""
    return bool(q.channel or q.agent or (q.agents and q.group == "agent"))


def _volume_source(q: ReportQuery) -> tuple[str, str, int]:
    """Table, its time column and its step: every dimension in quarter hours when channel or
    agent narrows the counts; else per department, in hours where they are whole."""
    if _narrowed(q):
        return "volume", "bucket", BUCKET
    return (
        ("volume_hours", "hour", HOUR)
        if _whole_hours(q)
        else ("volume_departments", "bucket", BUCKET)
    )


def _volume_rows(q: ReportQuery, t: Tables, columns: str, extra: str = "") -> list[tuple[Any, ...]]:
    table, column, step = _volume_source(q)
    clause, params = where(q, column)
    params[0] = int(q.since.timestamp()) // step * step  # the step it starts in, whole
    sql = f"SELECT {column}, {columns} FROM {table} WHERE {clause} {extra} GROUP BY {column}"  # noqa: S608
    return t.select(sql + (", kind" if "kind" in columns else ""), params)


def volume(t: Tables, q: ReportQuery) -> ReportTable:
    zone = ZoneInfo(q.timezone)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"new": 0, "inbound": 0, "outbound": 0})
    keys: dict[int, str] = {}
    for bucket, kind, n in _volume_rows(q, t, "kind, SUM(n)"):
        key = keys.get(bucket) or keys.setdefault(bucket, period_key(bucket, zone, q.period))
        counts[key][kind] += n
    rows = [[key, c["new"], c["inbound"], c["outbound"]] for key, c in sorted(counts.items())]
    return ReportTable(table="volume", columns=["period", "new", "inbound", "outbound"], rows=rows)


def heatmap(t: Tables, q: ReportQuery) -> ReportTable:
    """Customers' messages by local weekday and hour: when the load comes, to plan shifts."""
    zone = ZoneInfo(q.timezone)
    grid = [[0] * 24 for _ in range(7)]
    for bucket, n in _volume_rows(q, t, "SUM(n)", "AND kind = 'inbound'"):
        local = datetime.fromtimestamp(bucket, UTC).astimezone(zone)
        grid[local.weekday()][local.hour] += n
    rows: list[list[Any]] = [[WEEKDAYS[d], *grid[d]] for d in range(7)]
    return ReportTable(
        table="heatmap", columns=["weekday", *(f"{h:02d}" for h in range(24))], rows=rows
    )


def _sources(q: ReportQuery, rows: str, sums: str, days: bool) -> list[tuple[str, str, Bounds]]:
    """(table, time column, bounds): the `rows` table for the hours at the period's ends,
    the `sums` table for the whole days between them."""
    edges, whole = spans(q, days)
    return [(rows, "at", b) for b in edges] + ([(sums, "day", whole)] if whole else [])


def _summed(
    t: Tables, q: ReportQuery, keys: str, rows: tuple[str, str], sums: tuple[str, str], days: bool
) -> list[tuple[Any, ...]]:
    """`keys` and then the columns of `rows` (table, expressions over its rows) for the hours
    at the period's ends, followed by those of `sums` (the day sums) for the days between."""
    columns = {rows[0]: rows[1], sums[0]: sums[1]}
    out: list[tuple[Any, ...]] = []
    for table, time_column, bounds in _sources(q, rows[0], sums[0], days):
        clause, params = where(q, time_column, bounds=bounds)
        sql = f"SELECT {keys}, {columns[table]} FROM {table} WHERE {clause} GROUP BY {keys}"  # noqa: S608
        out += t.select(sql, params)
    return out


def response_times(t: Tables, q: ReportQuery, days: bool = True) -> ReportTable:
    """First response and resolution in working time (seconds): count, mean, median, p90."""
    groups: dict[tuple[str, str], array[float]] = defaultdict(lambda: array("d"))
    summed = "timing_days" if _narrowed(q) or q.group != "department" else "timing_departments"
    for table, time_column, bounds in _sources(q, "timings", summed, days):
        clause, params = where(q, time_column, bounds=bounds)
        sql = f"SELECT {q.group}, kind, business FROM {table} WHERE {clause}"  # noqa: S608
        for group, kind, business in t.select(sql, params):
            if time_column == "day":  # a day's times, packed
                groups[(group, kind)].frombytes(business)
            else:
                groups[(group, kind)].append(business)
    rows = []
    for (group, kind), values in sorted(groups.items()):
        ordered = sorted(values)
        n = len(ordered)
        median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
        p90 = ordered[min(n - 1, int(0.9 * n))]
        rows.append([group, kind, n, round(sum(ordered) / n), round(median), round(p90)])
    columns = [q.group, "kind", "count", "mean_s", "median_s", "p90_s"]
    return ReportTable(table="response_times", columns=columns, rows=rows)


def sla(t: Tables, q: ReportQuery, days: bool = True) -> ReportTable:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    found = _summed(
        t, q, f"{q.group}, target",
        ("sla", "SUM(met), COUNT(*)"), ("sla_days", "SUM(met), SUM(n)"), days,
    )  # fmt: skip
    for group, target, met, n in found:
        counts[(group, target)][0] += met
        counts[(group, target)][1] += n
    rows: list[list[Any]] = [
        [group, target, met, n - met, round(100 * met / n, 1)]
        for (group, target), (met, n) in sorted(counts.items())
        if n
    ]
    columns = [q.group, "target", "met", "breached", "attainment_pct"]
    return ReportTable(table="sla", columns=columns, rows=rows)


def csat(t: Tables, q: ReportQuery, days: bool = True) -> ReportTable:
    scores = ", ".join(f"TOTAL(score = {n})" for n in range(1, 6))
    summed = ", ".join(f"SUM({c})" for c in RATING_SUMS)
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * len(RATING_SUMS))
    found = _summed(
        t, q, q.group,
        ("ratings", f"COUNT(*), COUNT(score), TOTAL(score), {scores}"), ("rating_days", summed),
        days,
    )  # fmt: skip
    for group, *sums in found:
        totals[group] = [a + int(b) for a, b in zip(totals[group], sums, strict=True)]
    rows: list[list[Any]] = []
    for group, (asked, rated, total, *counts) in sorted(totals.items()):
        if asked:
            mean = round(total / rated, 2) if rated else None
            rows.append([group, asked, rated, round(100 * rated / asked, 1), mean, *counts])
    columns = [q.group, "asked", "rated", "response_rate_pct", "average",
               "score_1", "score_2", "score_3", "score_4", "score_5"]  # fmt: skip
    return ReportTable(table="csat", columns=columns, rows=rows)


def backlog(t: Tables, q: ReportQuery) -> ReportTable:
    """Tickets waiting now (open or pending), by how long ago they were created."""
    group = "assignee" if q.group == "agent" else q.group
    clause, params = where(q, None, agent_column="assignee")
    sql = (
        f"SELECT {group}, created FROM accounts WHERE {clause} "  # noqa: S608
        "AND status IN ('open', 'pending')"
    )
    now = q.until.timestamp()
    counts: dict[Any, list[int]] = defaultdict(lambda: [0] * len(AGES))
    for key, created in t.select(sql, params):
        age = now - created
        counts[key or ""][next(i for i, (limit, _) in enumerate(AGES) if age < limit)] += 1
    rows = [[key, *n] for key, n in sorted(counts.items())]
    return ReportTable(table="backlog", columns=[q.group, *(a for _, a in AGES)], rows=rows)


def online(t: Tables, q: ReportQuery) -> ReportTable:
    """Time each agent had their inbox open as online (seconds), within the asker's scope."""
    clauses = ["bucket >= ? AND bucket < ?"]
    params: list[Any] = [int(q.since.timestamp()) // BUCKET * BUCKET, q.until.timestamp()]
    if q.agent is not None:
        clauses.append("agent = ?")
        params.append(q.agent)
    if q.agents is not None:
        clauses.append(f"agent IN ({','.join('?' * len(q.agents)) or 'NULL'})")
        params += q.agents
    sql = (
        f"SELECT agent, SUM(seconds) FROM online WHERE {' AND '.join(clauses)} "  # noqa: S608
        "GROUP BY agent ORDER BY agent"
    )
    rows: list[list[Any]] = [[agent, round(seconds)] for agent, seconds in t.select(sql, params)]
    return ReportTable(table="online", columns=["agent", "online_s"], rows=rows)


FIGURES: dict[str, Callable[[Tables, ReportQuery], ReportTable]] = {
    "volume": volume,
    "heatmap": heatmap,
    "response_times": response_times,
    "sla": sla,
    "csat": csat,
    "backlog": backlog,
    "online": online,
}
