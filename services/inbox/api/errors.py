"""Errors as HTTP: invalid input 422 (with the field), stale version 409, unseen ticket 404,
refused action 403, store unreachable 503. Nothing a client sends turns into a 500."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.inbox.api.schemas import Problem
from services.inbox.permissions import Forbidden
from services.runtime.store_client import StoreRefused, StoreUnavailable

STATUS = {"invalid": 422, "not_found": 404, "conflict": 409, "forbidden": 403, "internal": 503}


def invalid(message: str, field: str | None = None) -> JSONResponse:
    """The same body shape FastAPI gives a request that fails validation."""
    where = ["body", field] if field else ["body"]
    return JSONResponse(
        {"detail": [{"loc": where, "msg": message, "type": "value_error"}]}, status_code=422
    )


class Invalid(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(Exception):
    pass


def install(app: FastAPI) -> None:
    async def refused(request: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, StoreRefused):
            raise TypeError(f"registered for StoreRefused, given {type(error).__name__}")
        if error.code == "invalid":
            return invalid(error.message, error.field)
        body = Problem(detail=error.message, field=error.field).model_dump(exclude_none=True)
        return JSONResponse(body, status_code=STATUS.get(error.code, 503))

    async def unavailable(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503, headers={"Retry-After": "1"})

    async def forbidden(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=403)

    async def not_found(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error) or "not found"}, status_code=404)

    async def bad(request: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, Invalid):
            raise TypeError(f"registered for Invalid, given {type(error).__name__}")
        return invalid(error.message, error.field)

    app.add_exception_handler(StoreRefused, refused)
    app.add_exception_handler(StoreUnavailable, unavailable)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Invalid, bad)

    async def unvalidated(request: Request, error: Exception) -> JSONResponse:
        # A value the request shape let through but a domain model refuses (e.g. an email).
        if not isinstance(error, ValidationError):
            raise TypeError(f"registered for ValidationError, given {type(error).__name__}")
        return JSONResponse(
            {
                "detail": [
                    {**e, "loc": ["body", *e["loc"]]}
                    for e in error.errors(
                        include_url=False, include_context=False, include_input=False
                    )
                ]
            },
            status_code=422,
        )

    app.add_exception_handler(ValidationError, unvalidated)


ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "Not logged in, or the token expired"},
    403: {"model": Problem, "description": "Visible, but not yours to change"},
    404: {"model": Problem, "description": "No such ticket, or not in your departments"},
    409: {"model": Problem, "description": "Someone changed it since your `version`"},
    503: {"model": Problem, "description": "The store did not answer; retry"},
}
