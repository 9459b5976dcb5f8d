"""`make chaos`: the long fault-injection run; prints the summary and writes it to
tests/bench/results/chaos.json (exactly: sent, stored, duplicates, lost, delivered, failed)."""

import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.chaos.scenario import Plan, run
from tests.chaos.verdict import problems

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results" / "chaos.json"


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
    with tempfile.TemporaryDirectory() as tmp:
        summary, details = asyncio.run(run(plan, Path(tmp)))
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print("\n".join(details["faults"]))
    found = problems(summary, details)
    print("\n".join(found) if found else "nothing lost, nothing duplicated")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
