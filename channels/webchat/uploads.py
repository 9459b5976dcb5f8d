"""Files in a web chat: the visitor uploads before sending, and downloads what was said.

`POST /webchat/{account}/files?name=…` takes the file as the body (its Content-Type must be
one the site allows, its size under the limit) with the visitor's token as Bearer, and answers
the attachment plus a receipt: an HMAC over visitor, ref, size and type. A message frame's
`files` are accepted only with a valid receipt for this visitor, so nobody attaches what they
did not upload. `GET /webchat/{account}/files/{sha256}` (Bearer token again) serves a file
only if it is in that visitor's own conversation, always as a download.
"""

import asyncio
import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from channels.webchat import keys, transcript, visitors
from channels.webchat.quota import UploadQuota
from channels.webchat.staging import Staging, StorageFull
from contracts.messages import Attachment
from services.runtime.files import (
    DOWNLOAD_HEADERS,
    PREFIX,
    FileStore,
    FileTooLarge,
    read_upload,
)

if TYPE_CHECKING:
    from channels.webchat.conversation import Chat

MAX_FILES = 10  # per message


def receipt(key: bytes, visitor: str, attachment: Attachment) -> str:
    signed = f"{visitor}|{attachment.ref}|{attachment.size}|{attachment.content_type}"
    return hmac.new(
        keys.for_purpose(key, "upload-receipt"), signed.encode(), hashlib.sha256
    ).hexdigest()


def attachments(files: Any, visitor: str, key: bytes) -> list[Attachment] | None:
    """The files of a message frame, or None when any is not this visitor's upload."""
    if files is None:
        return []
    if not isinstance(files, list) or len(files) > MAX_FILES:
        return None
    found = []
    for item in files:
        try:
            attachment = Attachment.model_validate(item)
        except ValueError:
            return None
        signature = str(item.get("receipt", ""))
        if not hmac.compare_digest(receipt(key, visitor, attachment), signature):
            return None
        a = attachment  # only what was signed, whatever else the frame carried
        found.append(
            Attachment(name=a.name[:200], content_type=a.content_type, size=a.size, ref=a.ref)
        )
    return found


class Uploads:
    def __init__(
        self,
        chat: "Chat",
        files: FileStore,
        types: list[str],
        staging: Staging,
        quota: UploadQuota,
    ) -> None:
        self.chat = chat
        self.files = files
        self.types = set(types)
        self.staging = staging
        self.quota = quota

    def _allowed(self, request: Request) -> tuple[dict[str, str], str | None] | None:
        """CORS headers for the site's page and the visitor, or None for a foreign origin."""
        origin = request.headers.get("origin", "")
        site = self.chat.site_for(request.path_params["account"], origin)
        if site is None:
            return None
        cors = {
            "Access-Control-Allow-Origin": origin or "*",
            "Access-Control-Allow-Headers": "authorization, content-type",
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return cors, visitors.visitor_of(token, self.chat.key) if token else None

    async def preflight(self, request: Request) -> Response:
        allowed = self._allowed(request)
        return Response(status_code=204 if allowed else 403, headers=allowed[0] if allowed else {})

    def _caller(self, request: Request) -> tuple[dict[str, str], str] | Response:
        """The CORS headers and the visitor asking, or the refusal to answer with."""
        allowed = self._allowed(request)
        if allowed is None:
            return JSONResponse({"detail": "this origin may not use this chat"}, 403)
        cors, visitor = allowed
        if visitor is None:
            return JSONResponse({"detail": "a valid visitor token is needed"}, 401, cors)
        return cors, visitor

    async def upload(self, request: Request) -> Response:
        caller = self._caller(request)
        if isinstance(caller, Response):
            return caller
        cors, visitor = caller
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in self.types:
            refused = f"files of type {content_type!r} are not accepted"
            return JSONResponse({"detail": refused}, 415, cors)
        address = request.client.host if request.client else "unknown"
        if not self.chat.addresses.message(address):
            return JSONResponse({"detail": "slow down"}, 429, cors)
        name = request.query_params.get("name", "file").replace("\\", "/").rsplit("/", 1)[-1]
        try:
            data = await read_upload(request.stream(), self.files.max_bytes)
        except FileTooLarge as error:
            return JSONResponse({"detail": str(error)}, 413, cors)
        now = time.monotonic()
        if over := self.quota.refusal(visitor, address, len(data), now):
            return JSONResponse({"detail": over}, 429, cors)
        try:
            saved = await asyncio.to_thread(
                self.staging.save, data, name[:200] or "file", content_type
            )
        except StorageFull as error:
            return JSONResponse({"detail": str(error)}, 507, cors)
        self.quota.record(visitor, address, len(data), now)
        body = {**saved.model_dump(mode="json"), "receipt": receipt(self.chat.key, visitor, saved)}
        return JSONResponse(body, 201, cors)

    async def download(self, request: Request) -> Response:
        caller = self._caller(request)
        if isinstance(caller, Response):
            return caller
        cors, visitor = caller
        digest = request.path_params["digest"]
        lines = await transcript.history(self.chat.js, request.path_params["account"], visitor)
        ref = PREFIX + digest
        attachment = next((f for line in lines for f in line.files if f.ref == ref), None)
        path = self.files.path(digest)
        if attachment is None or path is None:
            return JSONResponse({"detail": "no such file in your conversation"}, 404, cors)
        return FileResponse(
            path,
            media_type=attachment.content_type,
            filename=attachment.name,
            content_disposition_type="attachment",
            headers={**DOWNLOAD_HEADERS, **cors},
        )
