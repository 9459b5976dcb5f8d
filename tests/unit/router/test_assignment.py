"""Assignment policies and the queue, over given state: no broker, no clock."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from router.assignment import AgentLoad, assigned, choose
from router.queue import Waiting, drain, order

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def agent(id: str, open: int = 0, **kw: object) -> AgentLoad:
    return AgentLoad(id=id, status=str(kw.pop("status", "online")), open=open, **kw)  # type: ignore[arg-type]


def test_least_loaded_takes_the_agent_with_fewest_open_tickets() -> None:
    picked = choose("least_loaded", [agent("a", 3), agent("b", 1), agent("c", 2)])

    assert picked is not None and picked.id == "b"


def test_nobody_is_given_more_than_their_capacity() -> None:
    full = [agent("a", 5, capacity=5), agent("b", 2, capacity=2)]

    assert choose("least_loaded", full) is None
    assert choose("round_robin", full) is None


def test_offline_and_away_agents_get_nothing() -> None:
    team = [agent("a", status="offline"), agent("b", status="away")]

    assert choose("least_loaded", team) is None


def test_round_robin_over_a_thousand_tickets_is_fair() -> None:
    team = [agent(x, capacity=1000) for x in "abcdef"]
    counts: Counter[str] = Counter()
    for n in range(1000):
        picked = choose("round_robin", team)
        assert picked is not None
        counts[picked.id] += 1
        team = [assigned(a, n + 1) if a.id == picked.id else a for a in team]

    assert max(counts.values()) - min(counts.values()) <= 1


def test_least_loaded_ties_take_turns() -> None:
    team = [agent(x, capacity=1000) for x in "abc"]
    picks = []
    for n in range(6):
        picked = choose("least_loaded", team)
        assert picked is not None
        picks.append(picked.id)
        # Each closes the ticket at once: loads stay equal, turns must still rotate.
        team = [assigned(a, n + 1) if a.id == picked.id else a for a in team]
        team = [
            AgentLoad(a.id, a.status, a.capacity, 0, a.languages, a.last_assigned) for a in team
        ]

    assert picks == ["a", "b", "c", "a", "b", "c"]


def test_sticky_prefers_the_contacts_last_agent() -> None:
    picked = choose("sticky", [agent("a", 0), agent("b", 4)], sticky_agent="b")

    assert picked is not None and picked.id == "b"


def test_sticky_falls_back_when_that_agent_is_away_or_full() -> None:
    team = [agent("a", 1), agent("b", 2, capacity=2), agent("c", 0, status="away")]

    full = choose("sticky", team, sticky_agent="b")
    away = choose("sticky", team, sticky_agent="c", fallback="least_loaded")

    assert full is not None and full.id == "a"
    assert away is not None and away.id == "a"


def test_manual_leaves_the_ticket_in_the_queue() -> None:
    assert choose("manual", [agent("a")]) is None


def test_a_ticket_language_narrows_to_agents_who_speak_it() -> None:
    team = [agent("a", 0, languages=("en",)), agent("b", 5, languages=("ru", "en"))]

    picked = choose("least_loaded", team, language="ru-RU")

    assert picked is not None and picked.id == "b"


def test_when_nobody_speaks_the_language_anyone_free_may_take_it() -> None:
    picked = choose("least_loaded", [agent("a", languages=("en",))], language="th")

    assert picked is not None and picked.id == "a"


def test_the_queue_is_ordered_by_priority_then_age() -> None:
    waiting = [
        Waiting("new-normal", "normal", T0 + timedelta(minutes=59)),
        Waiting("old-normal", "normal", T0),
        Waiting("new-urgent", "urgent", T0 + timedelta(minutes=30)),
        Waiting("old-low", "low", T0 - timedelta(hours=1)),
    ]

    assert [w.ticket_id for w in order(waiting)] == [
        "new-urgent",
        "old-normal",
        "new-normal",
        "old-low",
    ]


def test_draining_fills_free_capacity_in_queue_order_and_no_further() -> None:
    waiting = [Waiting(f"t{n}", "normal", T0 + timedelta(seconds=n)) for n in range(10)]
    team = [agent("a", 1, capacity=3), agent("b", 0, capacity=2)]

    plan = drain(waiting, team, "least_loaded")

    assert [w.ticket_id for w, _ in plan] == ["t0", "t1", "t2", "t3"]
    assert Counter(a.id for _, a in plan) == {"a": 2, "b": 2}
