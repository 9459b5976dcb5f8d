"""The routing rules a fresh desk starts with."""

from pathlib import Path

from router.app import initial_rules
from router.rules import SEED_RULES
from router.settings import RouterSettings

EXAMPLE = Path(__file__).parents[3] / "deploy" / "router" / "rules.example.yaml"


def test_without_a_file_the_outage_rule_is_seeded() -> None:
    assert initial_rules(RouterSettings(router_rules_file=None)) == SEED_RULES


def test_the_example_bootstrap_file_is_valid_and_ordered() -> None:
    rules = initial_rules(RouterSettings(router_rules_file=EXAMPLE))

    assert [r.department for r in rules] == [None, "billing", "sales", "thai-desk"]
    assert rules[0].stop is False and rules[0].priority == "high"
