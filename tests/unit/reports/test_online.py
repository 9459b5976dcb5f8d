"""Agents' online time from heartbeats: between beats while online, capped by the TTL."""

import pytest

from services.reports.online import Seen, beat

pytestmark = pytest.mark.unit
T0 = 1_796_000_400.0  # a whole quarter of an hour


def test_time_between_two_online_beats_counts() -> None:
    state, pieces = beat(Seen("online", T0), "online", T0 + 30, ttl=60)

    assert state == Seen("online", T0 + 30) and pieces == [(int(T0), 30)]


def test_a_vanished_browser_stops_counting_a_ttl_after_its_last_beat() -> None:
    _, pieces = beat(Seen("online", T0), "online", T0 + 3600, ttl=60)

    assert sum(s for _, s in pieces) == 60


def test_away_time_is_not_online_time() -> None:
    _, pieces = beat(Seen("away", T0), "online", T0 + 30, ttl=60)

    assert pieces == []


def test_time_is_split_across_quarter_hours() -> None:
    _, pieces = beat(Seen("online", T0 + 880), "online", T0 + 930, ttl=60)

    assert pieces == [(int(T0), 20), (int(T0) + 900, 30)]


def test_a_beat_replayed_after_a_restart_adds_nothing() -> None:
    known = Seen("online", T0 + 60)

    state, pieces = beat(known, "online", T0 + 30, ttl=60)

    assert state is known and pieces == []
