"""The inbox service wiring: the REST API and stream on one port, health and metrics beside."""

import logging
from pathlib import Path

from fastapi import FastAPI, WebSocket
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.applications import Starlette
from starlette.routing import Mount

from contracts.presence import PRESENCE_BUCKET
from services.inbox import stream
from services.inbox.api import (
    admin,
    auth,
    changes,
    errors,
    files,
    indicators,
    portal,
    reports,
    tickets,
)
from services.inbox.api.context import Inbox
from services.inbox.directory import DirectoryCache
from services.inbox.headers import PAGE_HEADERS, WithHeaders
from services.inbox.indicators import TypingRelay
from services.inbox.observe import RequestMetrics
from services.inbox.presence import PresenceKeeper
from services.inbox.settings import InboxSettings
from services.runtime.broker import make_broker
from services.runtime.files import FileStore
from services.runtime.http import service_app
from services.runtime.kv import bucket_ttl, open_bucket
from services.runtime.store_client import StoreClient

log = logging.getLogger("relaydesk.inbox")
UI = Path(__file__).parent / "ui" / "static"


def create_api(ctx: Inbox) -> FastAPI:
    api = FastAPI(
        title="Relay Desk inbox API",
        version="1.0.0",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    api.state.inbox = ctx
    api.add_middleware(RequestMetrics, service="inbox")
    errors.install(api)
    for module in (auth, tickets, changes, reports, indicators, files, portal, admin):
        api.include_router(module.router)

    # Every file of the UI, index.html included, carries the page's headers.
    api.mount("/ui", WithHeaders(StaticFiles(directory=UI), PAGE_HEADERS), name="ui")

    @api.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(UI / "index.html", headers=PAGE_HEADERS)

    @api.websocket("/api/v1/stream")
    async def events(ws: WebSocket) -> None:
        await stream.serve(ws, ctx, ctx.store.nc.jetstream())

    return api


def create_app(settings: InboxSettings | None = None) -> Starlette:
    settings = settings or InboxSettings()
    broker = make_broker(settings, "inbox")
    ctx = Inbox(settings=settings, key=settings.signing_key())
    ctx.files = FileStore.under(settings.data_dir, settings.inbox_max_file_mb)

    async def start() -> None:
        nc = broker.connection
        ctx.store = StoreClient(nc, settings.inbox_store_timeout)
        ctx.directory = DirectoryCache(ctx.store)
        js = nc.jetstream()
        kv = await open_bucket(js, PRESENCE_BUCKET, settings.inbox_presence_ttl)
        ttl = await bucket_ttl(js, PRESENCE_BUCKET) or settings.inbox_presence_ttl
        ctx.presence = PresenceKeeper(kv, ttl, settings.inbox_presence_grace)
        ctx.presence.start()
        await ctx.directory.follow(nc)
        ctx.typing = TypingRelay(ctx.store, ctx.directory)
        await ctx.typing.follow(nc)

    async def stop() -> None:
        await ctx.presence.close()
        await ctx.typing.close()
        await ctx.directory.close()

    return service_app(
        "inbox",
        broker,
        settings,
        settings.inbox_port,
        routes=[Mount("/", app=create_api(ctx))],
        on_startup=[start],
        before_shutdown=[stop],
    )
