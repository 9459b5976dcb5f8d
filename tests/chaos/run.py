"""`make chaos`: the long fault-injection runs, one after the other: every service killed on
one NATS server, then a NATS cluster losing a node, then two replicas of the store, router,
Telegram and web chat with one of each killed (20,000 updates). Prints each summary and writes
them to tests/bench/results/chaos.json."""

import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.chaos import scale_out
from tests.chaos.scenario import Plan, inject_faults, kill_a_nats_node, run
from tests.chaos.verdict import problems

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results" / "chaos.json"
RUNS = {"every_service_killed": (inject_faults, 1), "nats_node_killed": (kill_a_nats_node, 3)}


def main() -> int:
    plan = Plan(
        updates=10_000,
        mails=1_500,
        vk_events=1_500,
        viber_messages=1_500,
        conversations=500,
        seconds=200.0,
        reply_rate=5.0,
        settle=180.0,
    )
    results, found = {}, []
    for name, (faults, nodes) in RUNS.items():
        with tempfile.TemporaryDirectory() as tmp:
            summary, details = asyncio.run(run(plan, Path(tmp), faults, nats_nodes=nodes))
        results[name] = summary
        print(name, json.dumps(summary, indent=2), "\n".join(details["faults"]), sep="\n")
        found += [f"{name}: {problem}" for problem in problems(summary, details)]
    with tempfile.TemporaryDirectory() as tmp:
        scaled = asyncio.run(scale_out.run(scale_out.ScalePlan(), Path(tmp)))
    print("scale_out", json.dumps(scaled, indent=2, ensure_ascii=False), sep="\n")
    results["scale_out"] = {k: v for k, v in scaled.items() if k != "out_of_order"}
    if scaled["lost"] or scaled["duplicates"] or scaled["out_of_order"]:
        found.append(f"scale_out: {scaled['lost']} lost, {scaled['duplicates']} doubled, "
                     f"{len(scaled['out_of_order'])} chats out of order")  # fmt: skip
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print("\n".join(found) if found else "nothing lost, nothing duplicated")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
