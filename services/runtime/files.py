"""Files of conversations (customers' photos and documents, agents' attachments): kept once
by content (SHA-256) under `<data dir>/files/`.

A message carries only `Attachment(ref="file:<sha256>")`; the bytes stay here. Channel
adapters save what customers send and read what agents attach; the inbox serves a file to
whoever may see a ticket with a message that carries its ref. Services on several machines
need this directory on a shared volume; an object store can replace it behind the same methods.
"""

import hashlib
import os
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.responses import FileResponse

from contracts.messages import Attachment

PREFIX = "file:"
# A file is always a download, never a page: an uploaded .html cannot run in our origin.
DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileTooLarge(Exception):
    pass


async def read_upload(chunks: AsyncIterator[bytes], max_bytes: int) -> bytes:
    """An uploaded body, refused (FileTooLarge) as soon as it passes `max_bytes`, so a huge
    upload is cut off instead of held in memory."""
    data = bytearray()
    async for chunk in chunks:
        data += chunk
        if len(data) > max_bytes:
            raise FileTooLarge(f"a file may be at most {max_bytes // 1_000_000} MB")
    return bytes(data)


class FileStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    @classmethod
    def under(cls, data_dir: Path, max_mb: int) -> "FileStore":
        return cls(data_dir / "files", max_mb * 1_000_000)

    def path(self, digest: str) -> Path | None:
        if not SHA256.match(digest):
            return None
        found = self.root / digest[:2] / digest
        return found if found.exists() else None

    def read(self, ref: str | None) -> bytes | None:
        """The bytes behind a `file:` ref, or None (not ours, or gone)."""
        if not ref or not ref.startswith(PREFIX):
            return None
        found = self.path(ref.removeprefix(PREFIX))
        return found.read_bytes() if found else None

    def save(self, data: bytes, name: str, content_type: str) -> Attachment:
        if len(data) > self.max_bytes:
            raise FileTooLarge(f"a file may be at most {self.max_bytes // 1_000_000} MB")
        digest = hashlib.sha256(data).hexdigest()
        target = self.root / digest[:2] / digest
        if not target.exists():
            _write_new(target, data)
        return Attachment(name=name, content_type=content_type, size=len(data), ref=PREFIX + digest)


def download(path: Path, attachment: Attachment) -> FileResponse:
    """A stored file as a download under its name and type (for the inbox and the portal,
    each after checking who may have it)."""
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.name,
        content_disposition_type="attachment",
        headers=DOWNLOAD_HEADERS,
    )


def _write_new(target: Path, data: bytes) -> None:
    """Written aside under a name no other writer picks, then renamed: a reader never sees
    half a file. Plain `os` calls: mkstemp, fdopen and a mkdir per file were most of the
    cost of keeping a small mail (the folder is made only when it is missing)."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(temporary, flags, 0o600)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, flags, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    os.replace(temporary, target)
