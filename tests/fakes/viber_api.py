"""A local Viber REST bot API for tests: `send_message` and `set_webhook` as Viber documents them
(JSON bodies, `X-Viber-Auth-Token`, answers `{"status", "status_message", "message_token"}`
with HTTP 200 whatever the status), failures a test switches on, and files to download.
https://developers.viber.com/docs/api/rest-bot-api/
"""

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.serving import serve


def status(code: int, message: str) -> dict[str, Any]:
    return {"status": code, "status_message": message}


TOO_MANY = status(12, "tooManyRequests")
NOT_SUBSCRIBED = status(6, "notSubscribed")


@dataclass
class FakeViberApi:
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: deque[dict[str, Any]] = field(default_factory=deque)
    files: dict[str, bytes] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=lambda: {"viber-token-1"})
    next_token: int = 5_741_311_803_571_700_000
    delay: float = 0.0  # seconds Viber takes to answer send_message, after it has the message
    url: str = ""

    def fail_next(self, *failures: dict[str, Any]) -> None:
        self.failures.extend(failures)

    async def method(self, request: Request) -> JSONResponse:
        name = request.path_params["name"]
        body = await request.json()
        self.calls.append((name, body))
        if request.headers.get("x-viber-auth-token") not in self.tokens:
            return JSONResponse(status(2, "invalidAuthToken"))
        if name == "send_message":
            if self.failures:
                return JSONResponse(self.failures.popleft())
            self.next_token += 1
            token = self.next_token
            self.sent.append({**body, "message_token": token})
            if self.delay:
                await asyncio.sleep(self.delay)  # the message is in; the answer is on its way
            return JSONResponse({**status(0, "ok"), "message_token": token})
        if name == "set_webhook":
            return JSONResponse({**status(0, "ok"), "event_types": body.get("event_types", [])})
        return JSONResponse(status(3, "badData"))

    async def download(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.files:
            return Response(status_code=404)
        return Response(self.files[name], media_type="application/octet-stream")

    def serve(self) -> "FakeViberApi":
        app = Starlette(
            routes=[
                Route("/pa/{name}", self.method, methods=["POST"]),
                Route("/files/{name}", self.download),
            ]
        )
        self.url = serve(app)
        return self
