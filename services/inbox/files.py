"""Files agents attach to replies: kept once by content (SHA-256) under `<data dir>/files/`.

A reply carries only `Attachment(ref="file:<sha256>")`; the bytes stay here, and a download
is allowed to whoever may see a ticket with a message that carries that ref. Several inbox
replicas (and, later, channel adapters sending the files) need this directory on a shared
volume; an object store can replace it behind the same two methods.
"""

import hashlib
import os
import re
import tempfile
from pathlib import Path

from contracts.messages import Attachment

PREFIX = "file:"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileTooLarge(Exception):
    pass


class FileStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path(self, digest: str) -> Path | None:
        if not SHA256.match(digest):
            return None
        found = self.root / digest[:2] / digest
        return found if found.exists() else None

    def save(self, data: bytes, name: str, content_type: str) -> Attachment:
        if len(data) > self.max_bytes:
            raise FileTooLarge(f"a file may be at most {self.max_bytes // 1_000_000} MB")
        digest = hashlib.sha256(data).hexdigest()
        target = self.root / digest[:2] / digest
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Written aside, then renamed: a reader never sees half a file.
            fd, temporary = tempfile.mkstemp(dir=target.parent)
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, target)
        return Attachment(name=name, content_type=content_type, size=len(data), ref=PREFIX + digest)
