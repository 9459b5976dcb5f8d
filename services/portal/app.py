"""The portal's app: its page under `/portal/`, the API of `signin.py`, `tickets.py` and
`notifications.py`, the agents' link requests, and the notices of `notifier.py`."""

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from contracts import streams, subjects
from services.portal import notifications, signin, tickets
from services.portal.context import Portal
from services.portal.notifier import Notifier
from services.portal.prefs import Preferences
from services.portal.settings import PortalSettings
from services.runtime.broker import make_broker
from services.runtime.consumer import consume_batches, report_lag
from services.runtime.files import FileStore
from services.runtime.http import service_app
from services.runtime.kv import open_bucket
from services.runtime.metrics import ERRORS, MESSAGES
from services.runtime.private import stored_secret
from services.runtime.workers import Workers

STATIC = Path(__file__).parent / "static"
LINKS_BUCKET = "portal-links"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


async def page(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)


ROUTES = [
    Route("/portal/", page),
    Route("/portal/api/link", signin.ask_link, methods=["POST"]),
    Route("/portal/api/session", signin.open_session, methods=["POST"]),
    Route("/portal/api/logout", signin.logout, methods=["POST"]),
    Route("/portal/api/tickets", tickets.listing),
    Route("/portal/api/tickets/{ticket_id}", tickets.one),
    Route("/portal/api/tickets/{ticket_id}/messages", tickets.reply, methods=["POST"]),
    Route("/portal/api/tickets/{ticket_id}/files", tickets.upload, methods=["POST"]),
    Route("/portal/api/tickets/{ticket_id}/files/{digest}", tickets.download),
    Route("/portal/api/notifications", notifications.choices, methods=["GET", "PUT"]),
    Route("/portal/api/unsubscribe", notifications.unsubscribe, methods=["POST"]),
    Mount("/portal/static", StaticFiles(directory=STATIC)),
]


def create_app(settings: PortalSettings | None = None) -> Starlette:
    settings = settings or PortalSettings()
    broker = make_broker(settings, "portal")
    secret = settings.portal_secret
    key = (
        secret.get_secret_value() if secret else stored_secret(settings.data_dir / "portal-secret")
    ).encode()
    files = FileStore.under(settings.data_dir, settings.portal_max_file_mb)
    state = Portal(settings, key, broker, files)
    workers = Workers()
    # Shown at 0 from the start, so an alert on failed mail sees the series at once.
    for kind in ("sign_in_mail", "notice_mail"):
        ERRORS.labels("portal", kind)
    MESSAGES.labels("portal", "email", "out")

    async def start() -> None:
        nc = broker.connection
        js = nc.jetstream()
        seconds = settings.portal_link_minutes * 60 + 60
        state.used = await open_bucket(js, LINKS_BUCKET, seconds)
        state.prefs = await Preferences.open(js)
        await nc.subscribe(subjects.PORTAL_LINK, cb=signin.agent_link_responder(state))
        notifier = Notifier(settings, key, nc, state.prefs)
        specs = [streams.PORTAL_MESSAGES, streams.PORTAL_CHANGES]
        workers.start(
            *(consume_batches(js, spec, notifier.consumer(spec), 100) for spec in specs),
            report_lag(js, specs),
            notifier.summaries(),
        )

    app = service_app(
        "portal",
        broker,
        settings,
        settings.portal_port,
        routes=ROUTES,
        on_startup=[start],
        before_shutdown=[workers.stop],
    )
    app.state.portal = state
    return app
