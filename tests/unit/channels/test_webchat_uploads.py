"""Web chat upload limits: bytes per visitor and address and hour, and unused uploads that
expire. Pure (the staging test uses a temporary directory)."""

import os
from pathlib import Path

import pytest

from channels.webchat.quota import HOUR, UploadQuota
from channels.webchat.staging import Staging, StorageFull
from services.runtime.files import FileStore


def test_a_visitor_gets_their_bytes_back_an_hour_later() -> None:
    quota = UploadQuota(visitor_bytes=100, address_bytes=1000)
    quota.record("v1", "10.0.0.1", 80, now=0.0)

    assert quota.refusal("v1", "10.0.0.1", 30, now=10.0) is not None
    assert quota.refusal("v2", "10.0.0.1", 30, now=10.0) is None
    assert quota.refusal("v1", "10.0.0.1", 30, now=HOUR + 1) is None


def test_many_visitors_of_one_address_share_its_allowance() -> None:
    quota = UploadQuota(visitor_bytes=100, address_bytes=150)
    quota.record("v1", "10.0.0.1", 90, now=0.0)

    refusal = quota.refusal("v2", "10.0.0.1", 90, now=1.0)

    assert refusal is not None and "per address" in refusal


def staging(tmp_path: Path, max_total: int = 100) -> Staging:
    waiting = FileStore(tmp_path / "waiting", 1000)
    return Staging(waiting, FileStore(tmp_path / "files", 1000), max_total, ttl=60.0)


def test_uploads_past_the_total_are_refused_until_some_are_used(tmp_path: Path) -> None:
    store = staging(tmp_path)
    first = store.save(b"a" * 60, "a.pdf", "application/pdf")

    with pytest.raises(StorageFull):
        store.save(b"b" * 60, "b.pdf", "application/pdf")
    assert store.use([first])
    assert store.save(b"b" * 60, "b.pdf", "application/pdf").size == 60


def test_an_unused_upload_expires_and_a_message_using_it_later_is_refused(
    tmp_path: Path,
) -> None:
    store = staging(tmp_path)
    old = store.save(b"old", "old.pdf", "application/pdf")
    fresh = store.save(b"fresh", "new.pdf", "application/pdf")
    path = store.store.path((old.ref or "").removeprefix("file:"))
    assert path is not None
    os.utime(path, (0, 0))

    gone = store.expire()

    assert gone == 1 and store.total == len(b"fresh")
    assert not store.use([old])
    assert store.use([fresh])
