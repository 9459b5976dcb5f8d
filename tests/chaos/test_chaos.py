"""The shortened fault-injection run (2,000 Telegram updates, 300 VK events, 300 Viber messages
and 300 mails, under 3 minutes): every service killed once, NATS restarted, the Bot API
failing for 10 s; nothing lost, nothing doubled."""

import json
from pathlib import Path

import pytest

from tests.chaos.scenario import Plan, run
from tests.chaos.verdict import problems

pytestmark = pytest.mark.chaos


async def test_nothing_is_lost_or_duplicated_while_everything_fails_once(tmp_path: Path) -> None:
    summary, details = await run(Plan(), tmp_path)
    shown = {k: v for k, v in details.items() if k not in ("assignments", "dead_letters")}
    print(json.dumps(summary), json.dumps(shown, default=str), sep="\n")

    assert problems(summary, details) == [], (summary, details["faults"], details["seed"])
    assert summary["sent"] == 2_900 and summary["delivered"] > 0
