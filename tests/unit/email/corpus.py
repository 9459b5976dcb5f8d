"""The email corpora (tests/fixtures/corpora/email: an unchanged copy of the shared corpora's
email part, checked against its provenance by tests/unit/channels/test_corpora.py), and a
YAML loader for Zammad's expectation files, which are written by Ruby (`!ruby/hash:…`,
`!binary`)."""

import base64
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "corpora" / "email"
ZAMMAD = sorted((ROOT / "zammad").glob("*.box"))
CHATWOOT = sorted((ROOT / "chatwoot").glob("*.eml"))


class RubyYaml(yaml.SafeLoader):
    pass


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    return base64.b64decode(str(loader.construct_scalar(node)))  # type: ignore[arg-type]


def _ruby(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


RubyYaml.add_constructor("!binary", _binary)
RubyYaml.add_multi_constructor("!", _ruby)


def expected(box: Path) -> dict[str, Any]:
    found: dict[str, Any] = yaml.load(box.with_suffix(".yml").read_bytes(), Loader=RubyYaml)  # noqa: S506 - SafeLoader subclass
    return found
