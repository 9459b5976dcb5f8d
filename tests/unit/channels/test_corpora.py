"""The corpora copied into the repository are the shared originals, byte for byte."""

import csv
import hashlib
from pathlib import Path

import pytest

CORPORA = Path(__file__).resolve().parents[2] / "fixtures" / "corpora"
ROWS = list(csv.DictReader((CORPORA / "provenance.tsv").open(), delimiter="\t"))


def test_every_copied_file_has_provenance() -> None:
    copied = {
        p.relative_to(CORPORA).as_posix()
        for folder in ("telegram", "email", "viber")
        for p in (CORPORA / folder).rglob("*")
        if p.is_file()
    }

    assert copied == {row["local_path"] for row in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["local_path"])
def test_a_copy_matches_its_recorded_sha256(row: dict[str, str]) -> None:
    data = (CORPORA / row["local_path"]).read_bytes()

    assert hashlib.sha256(data).hexdigest() == row["sha256"]
    assert len(data) == int(row["bytes"])
