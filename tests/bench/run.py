"""`make bench`: run the benchmarks, print a table, write tests/bench/results/<name>.json."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import e2e, inbox, portal, report, reports, router, store

BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "store": store.run,
    "router": router.run,
    "inbox": inbox.run,
    "e2e": e2e.run,
    "reports": reports.run,
    "portal": portal.run,
}


def main(names: list[str]) -> int:
    for name in names or list(BENCHMARKS):
        figures = BENCHMARKS[name]()
        path = report.write(name, figures)
        print(f"\n{name}  ({path})")
        for key, value in figures.items():
            print(f"  {key:<32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
