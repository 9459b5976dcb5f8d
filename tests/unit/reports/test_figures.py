"""Report figures on a seeded history equal the figures worked out by hand
(tests/reports_history.py): working time, pauses while pending, transfers and reopenings."""

from pathlib import Path

import pytest

from contracts.reports import ReportQuery
from services.reports import figures, materialize
from services.reports.fold import read
from services.reports.tables import Tables
from services.sla.business_hours import ALWAYS
from tests.reports_history import CALENDARS, NOW, history, msk

pytestmark = pytest.mark.unit


@pytest.fixture
def tables(tmp_path: Path) -> Tables:
    built = Tables(tmp_path / "reports.sqlite3")
    events = [(n, read(e.to_bytes())) for n, e in enumerate(history(), 1)]
    materialize.apply(built, events, lambda d: CALENDARS.get(d or "") or ALWAYS)
    return built


def query(table: str, **fields: object) -> ReportQuery:
    base = {"table": table, "since": msk(7, 0), "until": msk(9, 0), "timezone": "Europe/Moscow"}
    return ReportQuery.model_validate({**base, **fields})


def test_response_times_in_working_time_per_department(tables: Tables) -> None:
    found = figures.response_times(tables, query("response_times"))

    assert found.rows == [
        ["billing", "first_response", 1, 5400, 5400, 5400],
        ["billing", "resolution", 1, 14400, 14400, 14400],
        ["tech", "first_response", 1, 9000, 9000, 9000],
        ["tech", "resolution", 2, 12600, 12600, 14400],
    ]


def test_response_times_per_agent(tables: Tables) -> None:
    found = figures.response_times(tables, query("response_times", group="agent"))

    assert [r[:3] for r in found.rows if r[1] == "first_response"] == [
        ["anna", "first_response", 1],
        ["boris", "first_response", 1],
    ]


def test_volume_by_local_day(tables: Tables) -> None:
    found = figures.volume(tables, query("volume"))

    assert found.rows == [["2026-12-07", 3, 4, 2], ["2026-12-08", 0, 1, 0]]


def test_volume_by_hour_in_another_time_zone(tables: Tables) -> None:
    found = figures.volume(tables, query("volume", period="hour", timezone="Asia/Vladivostok"))

    # 08:00 in Moscow is 15:00 in Vladivostok.
    assert found.rows[0] == ["2026-12-07 15:00", 1, 1, 0]


def test_the_heat_map_shows_customers_messages_by_local_weekday_and_hour(tables: Tables) -> None:
    found = figures.heatmap(tables, query("heatmap"))

    monday, tuesday = found.rows[0], found.rows[1]
    assert monday[0] == "mon" and tuesday[0] == "tue"
    hours = {h: n for h, n in enumerate(monday[1:]) if n}
    assert hours == {8: 1, 12: 1, 17: 1, 21: 1}
    assert {h: n for h, n in enumerate(tuesday[1:]) if n} == {10: 1}


def test_sla_attainment(tables: Tables) -> None:
    found = figures.sla(tables, query("sla"))

    assert found.rows == [
        ["billing", "first_response", 1, 0, 100.0],
        ["tech", "first_response", 0, 1, 0.0],
    ]


def test_satisfaction_average_distribution_and_response_rate(tables: Tables) -> None:
    found = figures.csat(tables, query("csat"))

    assert found.rows == [
        ["billing", 1, 1, 100.0, 4.0, 0, 0, 0, 1, 0],
        ["tech", 1, 0, 0.0, None, 0, 0, 0, 0, 0],
    ]


def test_backlog_by_age_now(tables: Tables) -> None:
    found = figures.backlog(tables, query("backlog", until=NOW))

    assert found.rows == [["billing", 0, 0, 0, 1, 0, 0]]


def test_an_agents_scope_keeps_only_their_own_rows(tables: Tables) -> None:
    found = figures.response_times(tables, query("response_times", group="agent", agents=["anna"]))

    assert {r[0] for r in found.rows} == {"anna"}


def test_a_departments_scope_hides_the_others(tables: Tables) -> None:
    found = figures.volume(tables, query("volume", departments=["tech"]))

    assert found.rows == [["2026-12-07", 0, 1, 1]]


def test_folding_the_same_events_again_changes_nothing(tables: Tables) -> None:
    before = figures.volume(tables, query("volume"))

    again = [(n, read(e.to_bytes())) for n, e in enumerate(history(), 1)]
    materialize.apply(tables, again, lambda d: ALWAYS)

    assert figures.volume(tables, query("volume")) == before
