"""What a service writes to disk is for its own user alone: the data directory is 0700, and
every file and directory created under it (SQLite database and WAL, files, the NATS store,
secrets) is 0600/0700, by the process umask the CLI sets before anything is created.

Secrets are created with their mode (never written, then narrowed): no moment exists where
another local user could read one.
"""

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

PRIVATE_UMASK = 0o077

if TYPE_CHECKING:
    from services.runtime.config import BaseServiceSettings


def keep_private(data_dir: Path) -> None:
    """For `relaydesk run` and `up`: files created from now on are the user's alone, and
    the data directory itself (made now if missing) is closed to others."""
    os.umask(PRIVATE_UMASK)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    data_dir.chmod(0o700)


def stored_secret(path: Path) -> str:
    """A random key kept in a file created 0600, so a restart keeps it; when two processes
    start together, the second reads what the first wrote."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(key)
    return key


def rating_key(settings: "BaseServiceSettings") -> bytes:
    """The key of the satisfaction links: the email service signs them, the web chat service
    checks them (`RELAYDESK_RATING_SECRET`, or a key both read from the data directory)."""
    if settings.rating_secret is not None:
        return settings.rating_secret.get_secret_value().encode()
    return stored_secret(settings.data_dir / "rating-secret").encode()
