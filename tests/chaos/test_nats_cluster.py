"""The desk on a real three-node NATS cluster (streams at R3) under steady load from every
channel: the node leading INBOUND is SIGKILLed and later started again. Every update, event
and mail that got a 2xx or a 250 is stored exactly once, every accepted reply delivered once.
The long run is `make chaos`."""

import json
from pathlib import Path

import pytest

from tests.chaos.scenario import Plan, kill_a_nats_node, run
from tests.chaos.verdict import problems

pytestmark = pytest.mark.chaos


async def test_losing_a_nats_node_loses_and_doubles_nothing(tmp_path: Path) -> None:
    plan = Plan(updates=400, mails=60, vk_events=60, viber_messages=60, seconds=20.0, settle=50)
    summary, details = await run(plan, tmp_path, faults=kill_a_nats_node, nats_nodes=3)
    shown = {k: v for k, v in details.items() if k not in ("assignments", "dead_letters")}
    print(json.dumps(summary), json.dumps(shown, default=str), sep="\n")

    assert problems(summary, details) == [], (summary, details["faults"])
    assert summary["sent"] == 580 and summary["stored"] == 580
