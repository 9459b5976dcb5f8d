"""Report tables as the inbox asks for them: filtered by period, channel, department and
agent, grouped, in the asker's time zone. Reads only the materialized tables; the grouping
of 15-minute buckets into local hours, days, weeks and months happens here, so any time zone
(Kolkata's half hours too) sees whole local periods.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from contracts.reports import ReportQuery, ReportTable
from services.reports.fold import BUCKET
from services.reports.tables import Tables

AGES = ((3600, "<1h"), (4 * 3600, "1-4h"), (86400, "4-24h"), (3 * 86400, "1-3d"),
        (7 * 86400, "3-7d"), (float("inf"), ">7d"))  # fmt: skip
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def where(
    q: ReportQuery, time_column: str | None, agent_column: str = "agent"
) -> tuple[str, list[Any]]:
    """The WHERE clause of every table: period, filters, and the asker's scope."""
    clauses: list[str] = ["1=1"]
    params: list[Any] = []
    if time_column:
        clauses.append(f"{time_column} >= ? AND {time_column} < ?")
        params += [q.since.timestamp(), q.until.timestamp()]
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


def _volume_table(q: ReportQuery) -> str:
    """The per-department counts answer unless channel or agent narrows them."""
    return (
        "volume"
        if q.channel or q.agent or (q.agents and q.group == "agent")
        else "volume_departments"
    )


def volume(t: Tables, q: ReportQuery) -> ReportTable:
    clause, params = where(q, "bucket")
    params[0] = int(q.since.timestamp()) // BUCKET * BUCKET
    source = _volume_table(q)
    sql = f"SELECT bucket, kind, SUM(n) FROM {source} WHERE {clause} GROUP BY bucket, kind"  # noqa: S608
    zone = ZoneInfo(q.timezone)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"new": 0, "inbound": 0, "outbound": 0})
    keys: dict[int, str] = {}
    for bucket, kind, n in t.select(sql, params):
        key = keys.get(bucket) or keys.setdefault(bucket, period_key(bucket, zone, q.period))
        counts[key][kind] += n
    rows = [[key, c["new"], c["inbound"], c["outbound"]] for key, c in sorted(counts.items())]
    return ReportTable(table="volume", columns=["period", "new", "inbound", "outbound"], rows=rows)


def heatmap(t: Tables, q: ReportQuery) -> ReportTable:
    """Customers' messages by local weekday and hour: when the load comes, to plan shifts."""
    clause, params = where(q, "bucket")
    sql = (
        f"SELECT bucket, SUM(n) FROM {_volume_table(q)} WHERE {clause} "  # noqa: S608
        "AND kind = 'inbound' GROUP BY bucket"
    )
    zone = ZoneInfo(q.timezone)
    grid = [[0] * 24 for _ in range(7)]
    for bucket, n in t.select(sql, params):
        local = datetime.fromtimestamp(bucket, UTC).astimezone(zone)
        grid[local.weekday()][local.hour] += n
    rows: list[list[Any]] = [[WEEKDAYS[d], *grid[d]] for d in range(7)]
    return ReportTable(
        table="heatmap", columns=["weekday", *(f"{h:02d}" for h in range(24))], rows=rows
    )


def response_times(t: Tables, q: ReportQuery) -> ReportTable:
    """First response and resolution in working time (seconds): count, mean, median, p90."""
    clause, params = where(q, "at")
    sql = f"SELECT {q.group}, kind, business FROM timings WHERE {clause}"  # noqa: S608
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for group, kind, business in t.select(sql, params):
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


def sla(t: Tables, q: ReportQuery) -> ReportTable:
    clause, params = where(q, "at")
    sql = (
        f"SELECT {q.group}, target, SUM(met), COUNT(*) FROM sla WHERE {clause} "  # noqa: S608
        "GROUP BY 1, 2 ORDER BY 1, 2"
    )
    rows: list[list[Any]] = [
        [group, target, met, n - met, round(100 * met / n, 1)]
        for group, target, met, n in t.select(sql, params)
    ]
    columns = [q.group, "target", "met", "breached", "attainment_pct"]
    return ReportTable(table="sla", columns=columns, rows=rows)


def csat(t: Tables, q: ReportQuery) -> ReportTable:
    clause, params = where(q, "at")
    scores = ", ".join(f"SUM(score = {n})" for n in range(1, 6))
    sql = (
        f"SELECT {q.group}, COUNT(*), COUNT(score), AVG(score), {scores} "  # noqa: S608
        f"FROM ratings WHERE {clause} GROUP BY 1 ORDER BY 1"
    )
    rows: list[list[Any]] = []
    for group, asked, rated, average, *counts in t.select(sql, params):
        rate = round(100 * rated / asked, 1)
        mean = round(average, 2) if average is not None else None
        rows.append([group, asked, rated, rate, mean, *(c or 0 for c in counts)])
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
