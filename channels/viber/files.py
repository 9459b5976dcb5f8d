"""Attached files served to Viber, which fetches pictures and files from a public address:
`GET /viber/files/<sha256>/<expires>/<mac>`, a link signed with a key of the adapter's own
and valid for an hour, so the desk's files are never listable or guessable."""

import hashlib
import hmac
import time

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from services.runtime.files import PREFIX, FileStore

VALID_FOR = 3600


def _mac(key: bytes, digest: str, expires: int) -> str:
    return hmac.new(
        key, f"relaydesk/viber/file/{digest}:{expires}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def link(base: str, key: bytes, ref: str | None, now: float | None = None) -> str | None:
    if not ref or not ref.startswith(PREFIX):
        return None
    digest = ref.removeprefix(PREFIX)
    expires = int((now or time.time()) + VALID_FOR)
    return f"{base.rstrip('/')}/viber/files/{digest}/{expires}/{_mac(key, digest, expires)}"


def endpoint(files: FileStore, key: bytes):  # type: ignore[no-untyped-def]
    async def serve(request: Request) -> Response:
        digest = request.path_params["digest"]
        expires = int(request.path_params["expires"])
        given = request.path_params["mac"]
        path = files.path(digest)
        valid = hmac.compare_digest(given, _mac(key, digest, expires)) and time.time() < expires
        if not valid or path is None:
            return Response(status_code=404)
        return FileResponse(path, headers={"X-Content-Type-Options": "nosniff"})

    return serve
