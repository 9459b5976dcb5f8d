"""The day and hour sums (services/reports/rollups.py) give the figures the rows give, in any
time zone and scope, and a file written before they existed gets them when opened."""

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contracts.directory import DirectoryChanged
from contracts.reports import ReportQuery
from contracts.service_levels import BusinessCalendar
from services.reports import figures, materialize
from services.reports.fold import RatingRow, read
from services.reports.rollups import DAY, Rating, ratings
from services.reports.tables import Tables
from tests.bench import reports as bench

pytestmark = pytest.mark.unit

ZONES = ("Europe/Moscow", "Asia/Kolkata", "America/New_York", "UTC")
SCOPES: tuple[dict[str, object], ...] = (
    {},
    {"group": "agent", "departments": ["billing", "tech"]},
    {"group": "channel", "channel": "telegram"},
    {"group": "agent", "agents": ["agent3"], "agent": "agent3"},
)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    rng = random.Random(7)
    raw = sorted(
        (e for n in range(1500) for e in bench.ticket_events(n, rng)),
        key=lambda b: b[b.find(b'"at":"') :],
    )
    built = Tables(tmp_path_factory.mktemp("sums") / "reports.sqlite3")
    for start in range(0, len(raw), 700):
        items = [(start + i + 1, read(b)) for i, b in enumerate(raw[start : start + 700])]
        materialize.apply(built, items, bench.calendars)
    return built


def month(zone: str, **scope: object) -> ReportQuery:
    tz = ZoneInfo(zone)
    since = datetime(2026, 11, 3, tzinfo=tz)  # US clocks went back on 1 November
    until = datetime(2026, 11, 28, 15, 30, tzinfo=tz)
    return ReportQuery.model_validate(
        {"table": "volume", "since": since, "until": until, "timezone": zone, **scope}
    )


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("scope", SCOPES, ids=("all", "agents", "channel", "one-agent"))
def test_day_sums_give_the_figures_the_rows_give(
    tables: Tables, zone: str, scope: dict[str, object]
) -> None:
    q = month(zone, **scope)

    for figure in (figures.response_times, figures.sla, figures.csat):
        from_sums, from_rows = figure(tables, q), figure(tables, q, days=False)

        assert from_sums == from_rows and from_rows.rows, figure.__name__


@pytest.mark.parametrize("zone", ZONES)
def test_hour_sums_give_the_volume_the_quarter_hours_give(tables: Tables, zone: str) -> None:
    whole = month(zone).model_copy(update={"until": month(zone).until.replace(minute=0)})
    by_hour = figures.volume(tables, whole.model_copy(update={"period": "hour"}))
    # the per-department quarter hours, read when a zone's offset is not whole hours
    quarters = figures.volume(tables, whole.model_copy(update={"agent": None, "channel": None}))

    assert by_hour.rows and quarters.rows
    assert sum(r[2] for r in by_hour.rows) == sum(r[2] for r in quarters.rows)
    assert figures.heatmap(tables, whole) == figures.heatmap(
        tables, whole.model_copy(update={"timezone": zone})
    )


def test_a_file_written_before_the_sums_gets_them_when_opened(
    tables: Tables, tmp_path: Path
) -> None:
    q = month("Europe/Moscow")
    expected = [f(tables, q) for f in (figures.response_times, figures.sla, figures.csat)]
    old = tmp_path / "old.sqlite3"
    tables.db.execute("VACUUM INTO ?", (str(old),))
    copy = Tables(old)
    for table in ("volume_hours", "timing_days", "sla_days", "rating_days"):
        copy.db.execute(f"DELETE FROM {table}")  # noqa: S608
    copy.db.execute("PRAGMA user_version = 0")
    copy.close()

    reopened = Tables(old)

    assert [f(reopened, q) for f in (figures.response_times, figures.sla, figures.csat)] == expected


def test_a_rating_answered_on_a_later_day_moves_to_that_day() -> None:
    asked = RatingRow("t1", "2026-11-02T10:00:00+00:00", 5 * DAY + 10, "vk", "tech", "anna", None)
    before = {("t1", asked.asked_at): Rating(*vars(asked).values())}
    answered = RatingRow("t1", asked.asked_at, 7 * DAY + 50, "vk", "tech", "boris", 4)

    changed, sums = ratings(before, [answered])

    assert changed == [Rating("t1", asked.asked_at, 7 * DAY + 50, "vk", "tech", "anna", 4)]
    assert sorted(sums) == [
        (5 * DAY, "vk", "tech", "anna", -1, 0, 0, 0, 0, 0, 0, 0),
        (7 * DAY, "vk", "tech", "anna", 1, 1, 4, 0, 0, 0, 1, 0),
    ]


def test_a_rating_asked_and_answered_in_one_batch_counts_once() -> None:
    asked = RatingRow("t1", "a", 5 * DAY, "vk", "tech", "anna", None)
    answered = RatingRow("t1", "a", 5 * DAY + 60, "vk", "tech", "anna", 2)

    changed, sums = ratings({}, [asked, answered])

    assert len(changed) == 1 and changed[0].score == 2
    assert sums == [(5 * DAY, "vk", "tech", "anna", 1, 1, 2, 0, 1, 0, 0, 0)]


def test_a_repeated_rating_row_changes_nothing() -> None:
    asked = RatingRow("t1", "a", 5 * DAY, "vk", "tech", "anna", None)
    before = {("t1", "a"): Rating(*vars(asked).values())}

    assert ratings(before, [asked]) == ([], [])


def test_the_generated_month_spans_whole_days_and_their_ends() -> None:
    edges, whole = figures.spans(month("Europe/Moscow"))

    assert whole is not None and (whole[1] - whole[0]) / DAY == 25
    assert [round((b - a) / 3600, 1) for a, b in edges] == [3.0, 12.5]
    assert figures.spans(month("UTC"), days=False)[1] is None
    assert timedelta(seconds=whole[0]).days * DAY == whole[0]


def test_a_file_from_before_sla_rows_had_a_channel_opens_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    old = sqlite3.connect(tmp_path / "reports.sqlite3")
    old.executescript(
        "CREATE TABLE sla (ticket_id TEXT NOT NULL, target TEXT NOT NULL, at REAL NOT NULL, "
        "department TEXT NOT NULL, agent TEXT NOT NULL, met INTEGER NOT NULL);"
        "CREATE INDEX sla_cover ON sla(at, department, agent, target, met);"
        "INSERT INTO sla VALUES ('t1', 'first_response', 10 * 86400 + 5, 'tech', 'anna', 1);"
    )
    old.commit()
    old.close()

    opened = Tables(tmp_path / "reports.sqlite3")
    q = ReportQuery(
        table="sla",
        since=datetime(1970, 1, 10, tzinfo=UTC),
        until=datetime(1970, 1, 20, tzinfo=UTC),
    )

    assert figures.sla(opened, q).rows == [["tech", "first_response", 1, 0, 100.0]]
    assert figures.sla(opened, q.model_copy(update={"group": "channel"})).rows == [
        ["", "first_response", 1, 0, 100.0]
    ]


def test_a_batch_that_adds_no_volume_is_written(tmp_path: Path) -> None:
    t = Tables(tmp_path / "reports.sqlite3")
    life = [read(b) for b in bench.ticket_events(1, random.Random(3))]
    closing = [e for e in life if e.type in ("ticket.changed", "ticket.rated")]

    materialize.apply(t, list(enumerate(closing, 1)), bench.calendars)

    assert t.position() == len(closing)


def test_a_directory_change_on_the_stream_is_read_and_adds_nothing(tmp_path: Path) -> None:
    t = Tables(tmp_path / "reports.sqlite3")
    change = read(DirectoryChanged(kind="department", item_id="tech").to_bytes())

    assert materialize.apply(t, [(1, change)], bench.calendars) == 1
    assert t.select("SELECT COUNT(*) FROM accounts") == [(0,)]


def test_a_batch_that_fails_midway_leaves_no_trace_when_retried(tmp_path: Path) -> None:
    raw = sorted(
        (e for n in range(40) for e in bench.ticket_events(n, random.Random(n))),
        key=lambda b: b[b.find(b'"at":"') :],
    )
    items = [(n, read(b)) for n, b in enumerate(raw, 1)]
    straight, retried = Tables(tmp_path / "a.sqlite3"), Tables(tmp_path / "b.sqlite3")
    materialize.apply(straight, items, bench.calendars)
    calls = 0

    def flaky(department: str | None) -> BusinessCalendar:
        nonlocal calls
        calls += 1
        if calls == 50:  # well into the batch: accounts already folded into
            raise ConnectionError("directory away")
        return bench.calendars(department)

    half = len(items) // 2
    materialize.apply(retried, items[:half], bench.calendars)
    with pytest.raises(ConnectionError):
        materialize.apply(retried, items[half:], flaky)
    materialize.apply(retried, items[half:], bench.calendars)

    q = month("Europe/Moscow")
    for figure in (figures.response_times, figures.sla, figures.csat, figures.volume):
        assert figure(retried, q) == figure(straight, q), figure.__name__


def test_a_file_with_accounts_by_ticket_id_is_renumbered_and_folds_on(tmp_path: Path) -> None:
    raw = sorted(
        (e for n in range(60) for e in bench.ticket_events(n, random.Random(n))),
        key=lambda b: b[b.find(b'"at":"') :],
    )
    items = [(n, read(b)) for n, b in enumerate(raw, 1)]
    straight = Tables(tmp_path / "straight.sqlite3")
    materialize.apply(straight, items, bench.calendars)
    old = Tables(tmp_path / "old.sqlite3")
    materialize.apply(old, items[: len(items) // 2], bench.calendars)
    old.db.executescript(  # the layout before accounts were numbered
        "CREATE TABLE accounts_old (id TEXT PRIMARY KEY, status TEXT NOT NULL, channel TEXT "
        "NOT NULL, department TEXT, assignee TEXT, created REAL NOT NULL, doc TEXT NOT NULL);"
        "INSERT INTO accounts_old SELECT id, status, channel, department, assignee, created, "
        "json_object('id', id, 'channel', channel, 'created', created, 'since', since, "
        "'status', status, 'department', department, 'assignee', assignee, 'business', "
        "business, 'wall', wall, 'responded', json(iif(responded, 'true', 'false')), "
        "'counted', json(iif(counted, 'true', 'false')), 'asked', json(asked), "
        "'unrouted', json(unrouted)) FROM accounts;"
        "DROP TABLE accounts; ALTER TABLE accounts_old RENAME TO accounts;"
        "CREATE INDEX accounts_waiting ON accounts(status, created); PRAGMA user_version = 0;"
    )
    old.close()

    reopened = Tables(tmp_path / "old.sqlite3")
    materialize.apply(reopened, items[len(items) // 2 :], bench.calendars)

    q = month("Europe/Moscow").model_copy(update={"until": datetime(2026, 12, 9, tzinfo=UTC)})
    for figure in (figures.response_times, figures.csat, figures.volume, figures.backlog):
        assert figure(reopened, q) == figure(straight, q), figure.__name__
    assert reopened.select("SELECT COUNT(*), COUNT(DISTINCT n) FROM accounts") == [(60, 60)]
