"""Per address limits of the web chat."""

from channels.webchat.limits import AddressLimits


def test_an_address_keeps_at_most_its_share_of_connections() -> None:
    limits = AddressLimits(max_connections=2, rate=1, burst=1)

    opened = [limits.connect("10.0.0.1") for _ in range(3)]
    other = limits.connect("10.0.0.2")

    assert opened == [True, True, False] and other is True


def test_a_closed_connection_frees_its_place() -> None:
    limits = AddressLimits(max_connections=1, rate=1, burst=1)
    limits.connect("10.0.0.1")

    limits.disconnect("10.0.0.1")

    assert limits.connect("10.0.0.1") is True


def test_messages_past_the_burst_are_refused_and_cost_nothing() -> None:
    limits = AddressLimits(max_connections=1, rate=0.001, burst=3)

    sent = [limits.message("10.0.0.1") for _ in range(10)]

    assert sent == [True, True, True] + [False] * 7
    assert limits.buckets["10.0.0.1"].tokens < 1 and limits.buckets["10.0.0.1"].tokens > -0.01
    assert limits.message("10.0.0.2") is True
