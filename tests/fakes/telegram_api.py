"""A local Bot API for tests: the methods the adapter uses, as Telegram documents them
(form-encoded requests, `{"ok", "result"}` answers, errors with `error_code`, `description`
and `parameters.retry_after`), with failures that a test switches on."""

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.serving import serve


def error(code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body = {"ok": False, "error_code": code, "description": description}
    return code, {**body, "parameters": parameters} if parameters else body


TOO_MANY = error(429, "Too Many Requests: retry after 1", retry_after=1)
BLOCKED = error(403, "Forbidden: bot was blocked by the user")
BROKEN = error(500, "Internal Server Error")


def multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields of a multipart body (files as bytes), read with the standard email parser."""
    message = BytesParser(policy=policy.default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if part.get_filename():
            fields[str(name)] = {"filename": part.get_filename(), "content": payload}
        else:
            fields[str(name)] = (payload or b"").decode()
    return fields


@dataclass
class Call:
    token: str
    method: str
    params: dict[str, Any]
    at: float
    status: int
    started: float = 0.0


@dataclass
class FakeBotApi:
    calls: list[Call] = field(default_factory=list)
    failures: deque[tuple[int, dict[str, Any]]] = field(default_factory=deque)
    next_id: int = 1000
    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> content to serve
    delay: float = 0.0  # seconds each send takes, to keep many in flight
    in_flight: set[str] = field(default_factory=set)  # texts being sent right now
    updates: list[dict[str, Any]] = field(default_factory=list)  # what getUpdates hands out
    outage: tuple[float, list[tuple[int, dict[str, Any]]]] = (0.0, [])
    outage_calls: int = 0

    def fail_next(self, *failures: tuple[int, dict[str, Any]]) -> None:
        self.failures.extend(failures)

    def fail_for(self, seconds: float, *failures: tuple[int, dict[str, Any]]) -> None:
        """Answer every send with these failures in turn for `seconds` (an outage)."""
        self.outage = (time.monotonic() + seconds, list(failures))

    def sent(self, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    async def handle(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        raw = await request.body()
        kind = request.headers.get("content-type", "")
        if kind.startswith("application/json"):
            params = json.loads(raw or b"{}")
        elif kind.startswith("multipart/form-data"):
            params = multipart(kind, raw)
        else:
            params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        text = str(params.get("text", ""))
        started = time.monotonic()
        if method == "getUpdates" and not self._pending(params):
            await asyncio.sleep(0.2)  # a long poll with nothing new (shortened)
        if self.delay and method.startswith("send"):
            self.in_flight.add(text)
            await asyncio.sleep(self.delay)
        status, body = self._answer(method, params)
        self.calls.append(Call(token, method, params, time.monotonic(), status, started))
        self.in_flight.discard(text)
        return JSONResponse(body, status_code=status)

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method.startswith("send") and self.failures:
            return self.failures.popleft()
        until, failures = self.outage
        if method.startswith("send") and failures and time.monotonic() < until:
            self.outage_calls += 1
            return failures[self.outage_calls % len(failures)]
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._pending(params)}
        if method == "getMe":
            bot = {"id": 1, "is_bot": True, "first_name": "Desk", "username": "desk_bot"}
            return 200, {"ok": True, "result": bot}
        if method in ("setWebhook", "deleteWebhook", "answerCallbackQuery", "sendChatAction"):
            return 200, {"ok": True, "result": True}
        if method in ("sendMessage", "sendDocument", "sendPhoto"):
            self.next_id += 1
            chat = {"id": int(params["chat_id"]), "type": "private"}
            message = {"message_id": self.next_id, "date": int(time.time()), "chat": chat,
                       "text": params.get("text", "")}  # fmt: skip
            return 200, {"ok": True, "result": message}
        if method == "getFile":
            file_id = params["file_id"]
            if file_id not in self.files:
                return error(400, "Bad Request: invalid file_id")
            found = {
                "file_id": file_id,
                "file_unique_id": file_id[-8:],
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
            return 200, {"ok": True, "result": found}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _pending(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        return [u for u in self.updates if u["update_id"] >= offset]

    async def download(self, request: Request) -> Response:
        file_id = request.path_params["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return Response(status_code=404)
        return Response(self.files[file_id], media_type="application/octet-stream")

    def serve(self) -> "FakeBotApi":
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self.handle, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self.download),
            ]
        )
        self.url = serve(app)
        return self
