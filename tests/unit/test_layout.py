"""The house rules that keep the code easy to find: module size, docstrings, names, subjects."""

import ast
import re
import warnings
from pathlib import Path

import pytest
import yaml

from services.runtime.cli import SERVICES

ROOT = Path(__file__).parents[2]
PACKAGES = ("contracts", "channels", "router", "services")
MODULES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))
BANNED = {"utils", "helpers", "common", "misc"}
SUBJECT_LITERAL = re.compile(
    r"""["'](inbound|outbound|delivery|events|commands|queries|deadletter)\."""
)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("module", MODULES, ids=rel)
def test_every_module_opens_with_a_docstring(module: Path) -> None:
    tree = ast.parse(module.read_text())
    assert ast.get_docstring(tree), f"{rel(module)} needs a docstring saying what lives there"


@pytest.mark.parametrize("module", MODULES, ids=rel)
def test_modules_stay_small(module: Path) -> None:
    lines = len(module.read_text().splitlines())
    if lines > 300:
        warnings.warn(f"{rel(module)} has {lines} lines; split it before 400", stacklevel=1)
    assert lines <= 400, f"{rel(module)} has {lines} lines (limit 400)"


def test_no_module_is_named_for_nothing_in_particular() -> None:
    offenders = [rel(m) for m in MODULES if m.stem in BANNED or m.parent.name in BANNED]
    assert offenders == []


def test_subject_strings_live_only_in_contracts_subjects() -> None:
    offenders = [
        f"{rel(m)}:{n}"
        for m in MODULES
        if m != ROOT / "contracts" / "subjects.py"
        for n, line in enumerate(m.read_text().splitlines(), 1)
        if SUBJECT_LITERAL.search(line)
    ]
    assert offenders == []


def test_every_service_can_be_deployed_with_compose() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())

    assert set(SERVICES) <= set(compose["services"])
