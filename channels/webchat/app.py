"""The web chat service wiring: `/widget.js`, the demo page, the visitor's WebSocket and
files, agents' replies and typing pushed to every open tab of that visitor.

What a conversation does lives in `conversation.py`; files in `uploads.py`.
"""

import asyncio
import logging
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.responses import FileResponse, Response
from starlette.routing import Route, WebSocketRoute

from channels._adapter.bus import declare_adapter
from channels._adapter.outbound import OutboundWorker
from channels._adapter.running import Running
from channels._adapter.typing import follow_typing
from channels.webchat import ratings
from channels.webchat.conversation import Chat
from channels.webchat.quota import UploadQuota
from channels.webchat.settings import WebchatSettings
from channels.webchat.staging import Staging
from channels.webchat.uploads import Uploads
from contracts import streams
from services.runtime.broker import make_broker
from services.runtime.files import FileStore
from services.runtime.http import service_app
from services.runtime.private import rating_key, stored_secret

STATIC = Path(__file__).parent / "static"
EXPIRE_EVERY = 600.0  # seconds between two sweeps of unused uploads
log = logging.getLogger("relaydesk.webchat")


def create_app(settings: WebchatSettings | None = None) -> Starlette:
    settings = settings or WebchatSettings()
    broker = make_broker(settings, "webchat")
    declare_adapter(broker, "webchat")
    chat = Chat(settings, _key(settings))
    files = FileStore.under(settings.data_dir, settings.webchat_max_file_mb)
    waiting = FileStore(settings.data_dir / "webchat-uploads", files.max_bytes)
    staging = Staging(
        waiting,
        files,
        settings.webchat_upload_storage_mb * 1_000_000,
        settings.webchat_upload_ttl_hours * 3600,
    )
    chat.staging = staging
    quota = UploadQuota(
        settings.webchat_upload_visitor_mb * 1_000_000,
        settings.webchat_upload_address_mb * 1_000_000,
    )
    uploads = Uploads(chat, files, settings.webchat_file_types, staging, quota)
    running = Running()

    async def widget(request: Any) -> Response:
        return FileResponse(STATIC / "widget.js", media_type="text/javascript")

    async def demo(request: Any) -> Response:
        return FileResponse(STATIC / "demo.html", media_type="text/html")

    async def start() -> None:
        chat.connect(broker.connection)
        worker = OutboundWorker(chat.js, "webchat", chat.deliver)
        await worker.start()
        running.outbound = worker
        running.typing = await follow_typing(broker.connection, "webchat", chat.agent_typing)
        running.tasks.append(asyncio.create_task(expire_forever()))

    async def expire_forever() -> None:
        while True:
            gone = await asyncio.to_thread(staging.expire)
            if gone:
                log.info("%d unused web chat uploads expired", gone)
            await asyncio.sleep(EXPIRE_EVERY)

    async def stop() -> None:
        await running.stop()

    files_path = "/webchat/{account}/files"
    rate = ratings.endpoint(rating_key(settings), lambda: broker.connection)
    return service_app(
        "webchat",
        broker,
        settings,
        settings.webchat_port,
        routes=[
            Route("/widget.js", widget),
            Route("/demo", demo),
            Route("/rate/{token}", rate),
            WebSocketRoute("/webchat/{account}/ws", chat.serve),
            Route(files_path, uploads.upload, methods=["POST"]),
            Route(files_path, uploads.preflight, methods=["OPTIONS"]),
            Route(files_path + "/{digest}", uploads.download, methods=["GET"]),
            Route(files_path + "/{digest}", uploads.preflight, methods=["OPTIONS"]),
        ],
        after_startup=[start],
        before_shutdown=[stop],
        stream_specs=(*streams.ALL_STREAMS, streams.WEBCHAT),
    )


def _key(settings: WebchatSettings) -> bytes:
    if settings.webchat_secret is not None:
        return settings.webchat_secret.get_secret_value().encode()
    return stored_secret(settings.data_dir / "webchat-secret").encode()
