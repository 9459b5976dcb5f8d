"""What the fault-injection run must show; an empty list means the desk kept its promises."""

from typing import Any

from tests.chaos.scenario import MALFORMED


def problems(summary: dict[str, Any], details: dict[str, Any]) -> list[str]:
    found = []
    if summary["stored"] != summary["sent"] or summary["lost"]:
        found.append(f"lost: {summary['lost']} ({summary['stored']} of {summary['sent']} stored)")
    if summary["duplicates"]:
        found.append(f"duplicates: {summary['duplicates']}")
    if summary["delivered"] + summary["failed"] != details["replies_accepted"]:
        found.append("a reply the API accepted was neither delivered nor failed")
    if details["consumers_left"]:
        found.append(f"left in JetStream: {details['consumers_left']}")
    if details["malformed_sent"] and not details["dead_letters"]:
        found.append("malformed inputs were refused but not kept in the dead-letter stream")
    if strays := [d for d in details["dead_letters"] if d not in MALFORMED]:
        found.append(f"dead letters that were not sent malformed: {strays[:3]}")
    if twice := {t: n for t, n in details["assignments"].items() if n > 1}:
        found.append(f"tickets assigned more than once: {twice}")
    if never := [t for t, n in details["assignments"].items() if n == 0]:
        found.append(f"{len(never)} tickets never assigned though agents were online")
    return found
