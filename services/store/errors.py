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


class Forbidden(StoreError):
    """The acting agent's departments do not include the ticket's. The inbox answers 404: a
    ticket someone may not see is reported as missing, never as existing."""

    code = "forbidden"


class Missing(Exception):
    """Stored data contradicts itself (a message whose ticket is gone): a bug, never retried."""


class LostRace(Exception):
    """Another writer got there first: a unique index refused a write (two replicas opening
    the same thread's ticket) or MongoDB aborted the transaction as transiently conflicting.
    The whole unit of work is run again and sees the winner's rows."""
