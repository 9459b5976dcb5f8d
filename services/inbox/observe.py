"""Request metrics for the API: one histogram sample per request, labelled by the route
template (`/api/v1/tickets/{ticket_id}`), never the raw path, so ids do not explode the
number of series."""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.runtime.metrics import HTTP_REQUESTS


class RequestMetrics:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(self.service, scope["method"], template, status["code"]).observe(
                time.perf_counter() - started
            )
