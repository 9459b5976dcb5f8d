"""Lines `relaydesk` prints for people. Each is one write: `up` prints services' readiness
from its event loop while the first admin is created in a worker thread, and print's
separate write of the newline let one line run on into the other."""

import sys


def say(line: str) -> None:
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()
