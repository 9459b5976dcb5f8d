"""Plain ASGI for the hottest endpoints: a platform's webhook, called thousands of times a
second, each call short.

Why not Starlette's `Request` and `JSONResponse` there: per webhook they cost more CPU than
normalizing the update (profiled under the end-to-end benchmark: the Starlette stack 12%,
a second socket write for the response body 6%). The endpoints stay Starlette routes; only
what runs inside is plain. Everything else keeps using Starlette.
"""

import json
from typing import Any

from starlette.types import Receive, Scope, Send

MAX_BODY = 1024 * 1024
"""No platform sends a webhook this large (Telegram's updates are a few KB)."""


class TooLarge(Exception):
    """The request body is over the limit."""


def header(scope: Scope, name: bytes) -> bytes:
    """A request header's value (`name` in lower case), or b"" when it is absent."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


async def read_body(receive: Receive, limit: int = MAX_BODY) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is over {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def respond(send: Send, status: int, payload: dict[str, Any] | None = None) -> None:
    """`payload` as JSON, or an empty body: one socket write instead of two."""
    if payload is None:
        await respond_bytes(send, status)
    else:
        body = json.dumps(payload, ensure_ascii=False).encode()
        await respond_bytes(send, status, body, b"application/json")


async def respond_bytes(
    send: Send, status: int, body: bytes = b"", content_type: bytes | None = None
) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if content_type is not None:
        headers.append((b"content-type", content_type))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
