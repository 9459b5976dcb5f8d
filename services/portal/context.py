"""What every portal handler shares: settings, the signing key, the bus, the file store and
the KV buckets, kept on the app's state; and who the request's customer is."""

import time
from dataclasses import dataclass, field

from faststream.nats import NatsBroker
from nats.js.kv import KeyValue
from starlette.requests import Request
from starlette.responses import JSONResponse

from services.portal import links
from services.portal.prefs import Preferences
from services.portal.settings import PortalSettings
from services.portal.throttle import Window
from services.portal.views import Customer
from services.runtime.files import FileStore
from services.runtime.store_client import StoreClient

COOKIE = "relaydesk_portal"


@dataclass
class Portal:
    settings: PortalSettings
    key: bytes
    broker: NatsBroker
    files: FileStore
    per_address: Window = field(default_factory=lambda: Window(limit=3, seconds=900))
    per_client: Window = field(default_factory=lambda: Window(limit=20, seconds=900))
    used: KeyValue | None = None  # opened at start: the nonces of links already used
    prefs: Preferences | None = None

    def store(self) -> StoreClient:
        return StoreClient(self.broker.connection)

    def links_used(self) -> KeyValue:
        if self.used is None:
            raise RuntimeError("the portal has not started")
        return self.used

    def preferences(self) -> Preferences:
        if self.prefs is None:
            raise RuntimeError("the portal has not started")
        return self.prefs


def portal(request: Request) -> Portal:
    found: Portal = request.app.state.portal
    return found


def customer(request: Request) -> Customer | None:
    key, token = portal(request).key, request.cookies.get(COOKIE, "")
    try:
        return Customer.of(links.check(key, "session", token, time.time()))
    except links.Refused:
        return None


def refused(detail: str, status: int) -> JSONResponse:
    return JSONResponse({"detail": detail}, status)
