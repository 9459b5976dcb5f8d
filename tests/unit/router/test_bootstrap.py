"""The routing rules a fresh desk starts with."""

from pathlib import Path

from router.app import initial_menus, initial_rules
from router.rules import SEED_RULES
from router.settings import RouterSettings

EXAMPLE = Path(__file__).parents[3] / "deploy" / "router" / "rules.example.yaml"
MENUS = EXAMPLE.with_name("menus.example.yaml")


def test_without_a_file_the_outage_rule_is_seeded() -> None:
    assert initial_rules(RouterSettings(router_rules_file=None)) == SEED_RULES


def test_the_example_bootstrap_file_is_valid_and_ordered() -> None:
    rules = initial_rules(RouterSettings(router_rules_file=EXAMPLE))

    assert [r.department for r in rules] == [None, "billing", "sales", "thai-desk"]
    assert rules[0].stop is False and rules[0].priority == "high"


def test_the_example_menus_file_is_valid() -> None:
    menus = initial_menus(RouterSettings(menus_file=MENUS))

    assert [(m.channel, m.account) for m in menus] == [
        ("telegram", "support_bot"),
        ("webchat", "shop"),
    ]
    assert [n.id for n in menus[0].nodes] == ["billing", "delivery", "tech"]
    assert menus[0].nodes[1].answer["ru"].startswith("Статус заказа")


def test_without_a_menus_file_there_are_no_menus() -> None:
    assert initial_menus(RouterSettings(menus_file=None)) == []
