"""The shortened fault-injection run (800 Telegram updates, 120 VK events, 120 Viber messages
and 120 mails in a 30 s window, about a minute in all): every service killed once,
NATS restarted, the Bot API failing for 10 s; nothing lost, nothing doubled. The long run, five
times the load over 200 s, is `make chaos`."""

import json
from pathlib import Path

import pytest

from tests.chaos.scenario import Plan, run
from tests.chaos.verdict import problems

pytestmark = pytest.mark.chaos


async def test_nothing_is_lost_or_duplicated_while_everything_fails_once(tmp_path: Path) -> None:
    plan = Plan(updates=800, mails=120, vk_events=120, viber_messages=120, seconds=30.0)
    summary, details = await run(plan, tmp_path)
    shown = {k: v for k, v in details.items() if k not in ("assignments", "dead_letters")}
    print(json.dumps(summary), json.dumps(shown, default=str), sep="\n")

    assert problems(summary, details) == [], (summary, details["faults"], details["seed"])
    assert summary["sent"] == 1_160 and summary["delivered"] > 0
