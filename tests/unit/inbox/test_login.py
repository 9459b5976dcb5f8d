"""Passwords, tokens and login throttling."""

import pytest

from services.inbox import tokens
from services.inbox.passwords import hash_password, verify_password
from services.inbox.throttle import FREE_FAILURES, MAX_WAIT, LoginThrottle

KEY = "k" * 48


def test_a_password_is_stored_as_an_argon2id_hash() -> None:
    stored = hash_password("пароль-123 🔑")

    assert stored.startswith("$argon2id$")
    assert "пароль" not in stored
    assert verify_password(stored, "пароль-123 🔑")
    assert not verify_password(stored, "пароль-124 🔑")


def test_an_unknown_account_never_verifies() -> None:
    assert not verify_password(None, "anything")
    assert not verify_password("not a hash", "anything")


def test_a_short_password_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        hash_password("short")


def test_a_token_names_its_agent_until_it_expires() -> None:
    token = tokens.issue("agent-1", KEY, hours=1)

    assert tokens.agent_of(token, KEY) == "agent-1"
    expired = tokens.issue("agent-1", KEY, hours=1, now=1_000_000)
    with pytest.raises(tokens.InvalidToken):
        tokens.agent_of(expired, KEY)


def test_a_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(tokens.InvalidToken):
        tokens.agent_of(tokens.issue("agent-1", "x" * 48, hours=1), KEY)


def test_the_first_failures_cost_nothing() -> None:
    throttle = LoginThrottle()
    for _ in range(FREE_FAILURES):
        throttle.failed(["a@x"], now=100.0)

    assert throttle.wait(["a@x"], now=100.0) == 0


def test_each_further_failure_doubles_the_wait_up_to_a_cap() -> None:
    throttle = LoginThrottle()
    waits = []
    for _ in range(FREE_FAILURES + 12):
        throttle.failed(["a@x"], now=100.0)
        waits.append(throttle.wait(["a@x"], now=100.0))

    assert waits[FREE_FAILURES : FREE_FAILURES + 3] == [1.0, 2.0, 4.0]
    assert max(waits) == MAX_WAIT


def test_success_clears_the_record_and_others_are_unaffected() -> None:
    throttle = LoginThrottle()
    for _ in range(FREE_FAILURES + 2):
        throttle.failed(["a@x"], now=100.0)

    assert throttle.wait(["b@x"], now=100.0) == 0
    throttle.succeeded(["a@x"])
    assert throttle.wait(["a@x"], now=100.0) == 0


def test_attempts_reserved_in_parallel_cannot_all_pass_the_limit() -> None:
    throttle = LoginThrottle()

    waits = [throttle.reserve(["a@x from 1.2.3.4"], now=100.0) for _ in range(12)]

    assert waits[: FREE_FAILURES + 1] == [0.0] * (FREE_FAILURES + 1)
    assert all(w > 0 for w in waits[FREE_FAILURES + 1 :])


def test_a_refunded_success_forgives_only_itself() -> None:
    throttle = LoginThrottle()
    for _ in range(FREE_FAILURES):
        throttle.reserve(["k"], now=100.0)
    throttle.reserve(["k"], now=100.0)
    throttle.refund(["k"])

    assert throttle.wait(["k"], now=100.0) == 0
    assert throttle.records["k"].failures == FREE_FAILURES
