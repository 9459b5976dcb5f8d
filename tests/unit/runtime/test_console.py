"""Lines for people (services/runtime/console.py) go out whole."""

import io

import pytest

from services.runtime import console

pytestmark = pytest.mark.unit


class Recorded(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_a_line_and_its_newline_are_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two writes let a line printed from another thread run on after this one (seen in CI:
    # "…(shown once…)relaydesk: inbox ready at …").
    out = Recorded()
    monkeypatch.setattr("sys.stdout", out)

    console.say("relaydesk: inbox ready at http://127.0.0.1:8080/healthz")

    assert out.writes == ["relaydesk: inbox ready at http://127.0.0.1:8080/healthz\n"]
