"""Visitors' uploads wait here until a message uses them, then move to the conversation
files; unused ones expire, and the space they may take altogether is capped.

Without this an upload nobody ever sent stayed forever, and anyone could fill the disk. The
total is counted by this process (scanned at start, then kept up to date); replicas sharing
the volume each count what they see at start plus their own uploads.
"""

import os
import time
from pathlib import Path

from contracts.messages import Attachment
from services.runtime.files import PREFIX, FileStore


class StorageFull(Exception):
    pass


class Staging:
    def __init__(self, store: FileStore, files: FileStore, max_total: int, ttl: float) -> None:
        self.store = store  # where uploads wait
        self.files = files  # the conversation files, where used uploads go
        self.max_total = max_total
        self.ttl = ttl
        self.total = sum(p.stat().st_size for p in self._waiting())

    def save(self, data: bytes, name: str, content_type: str) -> Attachment:
        if self.total + len(data) > self.max_total:
            raise StorageFull("upload storage is full for now; try again later")
        saved = self.store.save(data, name, content_type)
        self.total += len(data)
        return saved

    def use(self, attachments: list[Attachment]) -> bool:
        """Move what a message attaches to the conversation files; False when an upload is
        gone (expired) and is not among those files either."""
        for attachment in attachments:
            digest = (attachment.ref or "").removeprefix(PREFIX)
            waiting = self.store.path(digest)
            if waiting is None:
                if self.files.path(digest) is None:
                    return False
                continue
            target = self.files.root / digest[:2] / digest
            target.parent.mkdir(parents=True, exist_ok=True)
            size = waiting.stat().st_size
            os.replace(waiting, target)
            self.total -= size
        return True

    def expire(self, now: float | None = None) -> int:
        """Delete uploads older than the time to live; how many went."""
        cutoff = (now if now is not None else time.time()) - self.ttl
        gone = 0
        for path in self._waiting():
            stat = path.stat()
            if stat.st_mtime < cutoff:
                path.unlink(missing_ok=True)
                self.total -= stat.st_size
                gone += 1
        return gone

    def _waiting(self) -> list[Path]:
        root = self.store.root
        return [p for p in root.glob("*/*") if p.is_file()] if root.exists() else []
