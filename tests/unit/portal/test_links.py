"""The portal's signed links and sessions (services/portal/links.py) and its throttle."""

import pytest

from services.portal import links
from services.portal.throttle import Window

pytestmark = pytest.mark.unit
KEY = b"k" * 32
NOW = 1_800_000_000.0


def test_a_link_gives_back_the_lowercased_address_it_was_made_for() -> None:
    token = links.issue(KEY, "link", " Maria@Example.RU ", NOW, 1800)

    signed = links.check(KEY, "link", token, NOW + 60)

    assert (signed.email, signed.kind) == ("maria@example.ru", "link")


def test_an_expired_link_is_refused() -> None:
    token = links.issue(KEY, "link", "maria@example.ru", NOW, 1800)

    with pytest.raises(links.Refused, match="expired"):
        links.check(KEY, "link", token, NOW + 1800)


def test_a_link_with_a_changed_address_is_refused() -> None:
    token = links.issue(KEY, "link", "maria@example.ru", NOW, 1800)
    other = links.issue(KEY, "link", "ivan@example.ru", NOW, 1800)

    forged = token.split(".")[0] + "." + other.split(".")[1]

    with pytest.raises(links.Refused, match="not ours"):
        links.check(KEY, "link", forged, NOW)


def test_a_link_never_passes_for_a_session_nor_a_session_for_a_link() -> None:
    link = links.issue(KEY, "link", "maria@example.ru", NOW, 1800)
    session = links.issue(KEY, "session", "maria@example.ru", NOW, 1800)

    with pytest.raises(links.Refused):
        links.check(KEY, "session", link, NOW)
    with pytest.raises(links.Refused):
        links.check(KEY, "link", session, NOW)


def test_a_link_signed_with_another_key_is_refused() -> None:
    token = links.issue(b"other" * 8, "link", "maria@example.ru", NOW, 1800)

    with pytest.raises(links.Refused):
        links.check(KEY, "link", token, NOW)


@pytest.mark.parametrize("token", ["", ".", "abc", "abc.def", "!!!." + "0" * 64])
def test_rubbish_is_refused_with_a_reason(token: str) -> None:
    with pytest.raises(links.Refused):
        links.check(KEY, "link", token, NOW)


def test_each_link_carries_its_own_nonce() -> None:
    first = links.check(KEY, "link", links.issue(KEY, "link", "a@b.c", NOW, 60), NOW)
    second = links.check(KEY, "link", links.issue(KEY, "link", "a@b.c", NOW, 60), NOW)

    assert first.nonce != second.nonce


def test_the_throttle_allows_its_limit_per_window_and_per_key() -> None:
    window = Window(limit=3, seconds=900)

    taken = [window.take("maria@example.ru", NOW + n) for n in range(4)]
    other = window.take("ivan@example.ru", NOW + 5)
    later = window.take("maria@example.ru", NOW + 901)

    assert (taken, other, later) == ([True, True, True, False], True, True)
