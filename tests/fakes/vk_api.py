"""A local VK API for tests: the methods the adapter uses, as VK documents them (form-encoded
POSTs to /method/<name>, `{"response": …}` answers, errors as `{"error": {"error_code",
"error_msg", "request_params"}}` with HTTP 200), `random_id` idempotency per chat, the upload
servers for photos and documents, Bots Long Poll, and failures a test switches on.
https://dev.vk.com/ru/reference/errors ; https://dev.vk.com/ru/api/bots-long-poll/getting-started
"""

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.serving import serve


def error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"error_code": code, "error_msg": message, "request_params": []}}


TOO_MANY = error(6, "Too many requests per second")
DENIED = error(901, "Can't send messages for users without permission")
INTERNAL = error(10, "Internal server error")


@dataclass
class Sent:
    peer_id: int
    random_id: int
    message: str
    attachment: str
    message_id: int


@dataclass
class FakeVkApi:
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    failures: deque[dict[str, Any]] = field(default_factory=deque)
    users: dict[int, tuple[str, str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)  # what long poll hands out
    key: str = "k1"
    delay: float = 0.0  # seconds VK takes to answer messages.send, after it has the message
    next_id: int = 5000
    url: str = ""

    def fail_next(self, *failures: dict[str, Any]) -> None:
        self.failures.extend(failures)

    async def method(self, request: Request) -> JSONResponse:
        name = request.path_params["name"]
        raw = (await request.body()).decode()
        params = {k: v[0] for k, v in parse_qs(raw).items()} | dict(request.query_params)
        self.calls.append((name, params))
        if name == "messages.send" and self.failures:
            return JSONResponse(self.failures.popleft())
        answer = self._answer(name, params)
        if name == "messages.send" and self.delay:
            await asyncio.sleep(self.delay)  # the message is in; the answer is still on its way
        return JSONResponse(answer)

    def _answer(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        if name == "messages.send":
            peer, random_id = int(params["peer_id"]), int(params["random_id"])
            known = next(
                (s for s in self.sent if (s.peer_id, s.random_id) == (peer, random_id)), None
            )
            if known is not None:  # VK's idempotency: the same message, not a second one
                return {"response": known.message_id}
            self.next_id += 1
            self.sent.append(Sent(peer, random_id, params.get("message", ""),
                                  params.get("attachment", ""), self.next_id))  # fmt: skip
            return {"response": self.next_id}
        if name == "users.get":
            ids = [int(x) for x in params["user_ids"].split(",")]
            found = [{"id": i, "first_name": self.users[i][0], "last_name": self.users[i][1]}
                     for i in ids if i in self.users]  # fmt: skip
            return {"response": found}
        if name == "messages.setActivity":
            return {"response": 1}
        if name == "groups.getLongPollServer":
            return {"response": {"key": self.key, "server": f"{self.url}/longpoll", "ts": "0"}}
        if name == "photos.getMessagesUploadServer":
            return {"response": {"upload_url": f"{self.url}/upload/photo", "album_id": -3}}
        if name == "photos.saveMessagesPhoto":
            return {"response": [{"id": 101, "owner_id": -1, "album_id": -3}]}
        if name == "docs.getMessagesUploadServer":
            return {"response": {"upload_url": f"{self.url}/upload/doc"}}
        if name == "docs.save":
            return {"response": {"type": "doc", "doc": {"id": 202, "owner_id": -1}}}
        return error(3, "Unknown method passed")

    async def upload(self, request: Request) -> JSONResponse:
        await request.body()
        if request.path_params["kind"] == "photo":
            return JSONResponse({"server": 1, "photo": '[{"photo":"x"}]', "hash": "h"})
        return JSONResponse({"file": "uploaded-doc"})

    async def longpoll(self, request: Request) -> JSONResponse:
        """Events after `ts` (a count), or, with nothing new, an empty answer after a while."""
        if request.query_params.get("key") != self.key:
            return JSONResponse({"failed": 2})
        ts = int(request.query_params.get("ts", "0"))
        if ts >= len(self.events):
            await asyncio.sleep(0.3)  # a long poll with nothing new (shortened)
        return JSONResponse({"ts": str(len(self.events)), "updates": self.events[ts:]})

    async def download(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.files:
            return Response(status_code=404)
        return Response(self.files[name], media_type="application/octet-stream")

    def serve(self) -> "FakeVkApi":
        app = Starlette(
            routes=[
                Route("/method/{name}", self.method, methods=["POST", "GET"]),
                Route("/upload/{kind}", self.upload, methods=["POST"]),
                Route("/longpoll", self.longpoll),
                Route("/files/{name}", self.download),
            ]
        )
        self.url = serve(app)
        return self
