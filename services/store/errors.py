"""Errors the store's domain raises; the command layer turns them into typed replies. Pure."""


class StoreError(Exception):
    code = "internal"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(StoreError):
    code = "not_found"


class Conflict(StoreError):
    """A stale version: someone changed the ticket since the caller read it."""

    code = "conflict"


class Invalid(StoreError):
    code = "invalid"


class DuplicateKey(Exception):
    """A unique index refused a write: another replica won a race. The batch is retried."""
