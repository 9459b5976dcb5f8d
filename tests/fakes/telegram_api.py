"""A local Bot API for tests: the methods the adapter uses, as Telegram documents them
(form-encoded requests, `{"ok", "result"}` answers, errors with `error_code`, `description`
and `parameters.retry_after`), with failures that a test switches on."""

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def error(code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body = {"ok": False, "error_code": code, "description": description}
    return code, {**body, "parameters": parameters} if parameters else body


TOO_MANY = error(429, "Too Many Requests: retry after 1", retry_after=1)
BLOCKED = error(403, "Forbidden: bot was blocked by the user")
BROKEN = error(500, "Internal Server Error")


@dataclass
class Call:
    token: str
    method: str
    params: dict[str, Any]
    at: float
    status: int


@dataclass
class FakeBotApi:
    calls: list[Call] = field(default_factory=list)
    failures: deque[tuple[int, dict[str, Any]]] = field(default_factory=deque)
    next_id: int = 1000
    url: str = ""

    def fail_next(self, *failures: tuple[int, dict[str, Any]]) -> None:
        self.failures.extend(failures)

    def sent(self, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    async def handle(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        raw = (await request.body()).decode()
        if request.headers.get("content-type", "").startswith("application/json"):
            params = json.loads(raw or "{}")
        else:
            params = {k: v[0] for k, v in parse_qs(raw).items()}
        status, body = self._answer(method, params)
        self.calls.append(Call(token, method, params, time.monotonic(), status))
        return JSONResponse(body, status_code=status)

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method.startswith("send") and self.failures:
            return self.failures.popleft()
        if method == "getMe":
            bot = {"id": 1, "is_bot": True, "first_name": "Desk", "username": "desk_bot"}
            return 200, {"ok": True, "result": bot}
        if method in ("setWebhook", "deleteWebhook", "answerCallbackQuery"):
            return 200, {"ok": True, "result": True}
        if method == "sendMessage":
            self.next_id += 1
            chat = {"id": int(params["chat_id"]), "type": "private"}
            message = {"message_id": self.next_id, "date": int(time.time()), "chat": chat,
                       "text": params.get("text", "")}  # fmt: skip
            return 200, {"ok": True, "result": message}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def serve(self) -> "FakeBotApi":
        app = Starlette(
            routes=[Route("/bot{token}/{method}", self.handle, methods=["GET", "POST"])]
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
        while not server.started:
            time.sleep(0.01)
        return self
