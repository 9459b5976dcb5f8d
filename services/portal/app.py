"""The portal's HTTP API and page, under `/portal/`.

POST /portal/api/link {email}      mail a sign-in link (always 202: who has tickets never leaks)
POST /portal/api/session {token}   exchange a link, once, for an HttpOnly session cookie
GET  /portal/api/tickets           the customer's tickets on every channel
GET  /portal/api/tickets/{id}      one of them with its public conversation (never notes)
POST /portal/api/tickets/{id}/messages {text}   a reply, on the ticket's own channel
POST /portal/api/logout

A ticket is the customer's when its contact has the signed-in address as its mail identity
or on the contact itself; any other answers 404, like one that does not exist.
"""

import logging
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from contracts import queries as q
from contracts import streams, subjects
from contracts.messages import InboundMessage, Sender
from contracts.tickets import ContactView
from services.portal import links, mail
from services.portal.settings import PortalSettings
from services.portal.throttle import Window
from services.runtime.broker import make_broker
from services.runtime.http import service_app
from services.runtime.kv import lost_race, open_bucket
from services.runtime.metrics import ERRORS, MESSAGES
from services.runtime.private import stored_secret
from services.runtime.store_client import StoreClient

STATIC = Path(__file__).parent / "static"
COOKIE = "relaydesk_portal"
LINKS_BUCKET = "portal-links"
log = logging.getLogger("relaydesk.portal")


class LinkIn(BaseModel):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class SessionIn(BaseModel):
    token: str = Field(min_length=10, max_length=2000)


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=20000)


def owns(contact: ContactView | None, email: str) -> bool:
    return contact is not None and (
        f"email:{email}" in contact.identities or (contact.email or "").strip().lower() == email
    )


def public(detail: q.TicketDetail) -> dict[str, Any]:
    """What the customer may see: never internal notes, never agents' ids."""
    t = detail.ticket
    return {
        **summary(t),
        "messages": [
            {
                "id": m.id,
                "from": "customer" if m.direction == "inbound" else "support",
                "text": m.text,
                "attachments": [a.name for a in m.attachments],
                "created_at": m.created_at.isoformat(),
            }
            for m in detail.messages
            if m.direction in ("inbound", "outbound")
        ],
    }


def summary(t: Any) -> dict[str, Any]:
    return {
        "id": t.id,
        "number": t.number,
        "subject": t.subject,
        "status": t.status,
        "channel": t.channel,
        "updated_at": t.updated_at.isoformat(),
    }


def create_app(settings: PortalSettings | None = None) -> Starlette:
    settings = settings or PortalSettings()
    broker = make_broker(settings, "portal")
    secret = settings.portal_secret
    key = (
        secret.get_secret_value() if secret else stored_secret(settings.data_dir / "portal-secret")
    ).encode()
    # Shown at 0 from the start, so an alert on failed sign-in mail sees the series at once.
    mail_failures = ERRORS.labels("portal", "sign_in_mail")
    per_address = Window(limit=3, seconds=900)
    per_client = Window(limit=20, seconds=900)
    state: dict[str, Any] = {}

    def store() -> StoreClient:
        return StoreClient(broker.connection)

    def signed_in(request: Request) -> str | None:
        try:
            return links.check(key, "session", request.cookies.get(COOKIE, ""), time.time()).email
        except links.Refused:
            return None

    async def owned(request: Request) -> tuple[str, q.TicketDetail] | Response:
        email = signed_in(request)
        if email is None:
            return JSONResponse({"detail": "sign in first"}, 401)
        try:
            detail = await store().ticket(request.path_params["ticket_id"], None)
        except Exception:  # unknown id, or not answered: the same 404 either way
            return JSONResponse({"detail": "no such ticket"}, 404)
        if not owns(detail.contact, email):
            return JSONResponse({"detail": "no such ticket"}, 404)
        return email, detail

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    async def ask_link(request: Request) -> Response:
        try:
            body = LinkIn.model_validate(await request.json())
        except (ValueError, ValidationError):
            return JSONResponse({"detail": "an email address, please"}, 422)
        email = body.email.strip().lower()
        client = request.client.host if request.client else "?"
        now = time.time()
        if not per_client.take(client, now) or not per_address.take(email, now):
            return JSONResponse({"detail": "too many links asked; try again later"}, 429)
        found = await store().page(q.ListTickets(contact_email=email, limit=1))
        if found.items:
            seconds = settings.portal_link_minutes * 60
            token = links.issue(key, "link", email, now, seconds)
            link = f"{settings.portal_url.rstrip('/')}/portal/#link={token}"
            try:
                await mail.send(settings, mail.compose(settings, email, link))
            except Exception as error:  # the mail server is away: say so, keep nothing
                mail_failures.inc()
                log.warning("sign-in mail not sent: %s", type(error).__name__)
                return JSONResponse({"detail": "the mail could not be sent; try again"}, 503)
        return JSONResponse({"detail": "if we know this address, a link is on its way"}, 202)

    async def open_session(request: Request) -> Response:
        try:
            body = SessionIn.model_validate(await request.json())
            signed = links.check(key, "link", body.token, time.time())
        except (ValueError, ValidationError):
            return JSONResponse({"detail": "not a link"}, 422)
        except links.Refused as error:
            return JSONResponse({"detail": str(error)}, 410)
        try:  # single use: the nonce is remembered until the link would have expired
            await state["used"].create(signed.nonce, b"1")
        except Exception as error:
            if not lost_race(error):
                raise
            return JSONResponse({"detail": "this link was used already"}, 410)
        seconds = settings.portal_session_hours * 3600
        session = links.issue(key, "session", signed.email, time.time(), seconds)
        answer = JSONResponse({"email": signed.email})
        secure = settings.portal_url.startswith("https://")
        answer.set_cookie(
            COOKIE, session, max_age=seconds, httponly=True, samesite="strict", secure=secure,
            path="/portal/",
        )  # fmt: skip
        return answer

    async def tickets(request: Request) -> Response:
        email = signed_in(request)
        if email is None:
            return JSONResponse({"detail": "sign in first"}, 401)
        found = await store().page(q.ListTickets(contact_email=email, limit=100))
        return JSONResponse({"email": email, "items": [summary(t) for t in found.items]})

    async def ticket(request: Request) -> Response:
        found = await owned(request)
        if isinstance(found, Response):
            return found
        return JSONResponse(public(found[1]))

    async def reply(request: Request) -> Response:
        found = await owned(request)
        if isinstance(found, Response):
            return found
        _, detail = found
        try:
            body = ReplyIn.model_validate(await request.json())
        except (ValueError, ValidationError):
            return JSONResponse({"detail": "a reply has 1 to 20,000 characters"}, 422)
        t, contact = detail.ticket, detail.contact
        identities = contact.identities if contact else []
        identity = next((i for i in identities if i.startswith(f"{t.channel}:")), None)
        if identity is None:
            return JSONResponse({"detail": "this conversation cannot be answered here"}, 409)
        message = InboundMessage(
            channel=t.channel,
            account=t.account,
            thread_key=t.thread_key,
            external_id=f"portal-{links.nonce()}",
            sender=Sender(channel_user_id=identity.partition(":")[2]),
            text=body.text,
            ticket_token=t.id,  # checked above: the store joins it to this ticket
        )
        headers = {streams.MSG_ID: message.dedupe_key}
        await broker.connection.jetstream().publish(
            subjects.inbound(t.channel), message.to_bytes(), headers=headers
        )
        MESSAGES.labels("portal", t.channel, "in").inc()
        return JSONResponse({"id": message.id}, 202)

    async def logout(request: Request) -> Response:
        answer = Response(status_code=204)
        answer.delete_cookie(COOKIE, path="/portal/")
        return answer

    async def start() -> None:
        seconds = settings.portal_link_minutes * 60 + 60
        state["used"] = await open_bucket(broker.connection.jetstream(), LINKS_BUCKET, seconds)

    routes = [
        Route("/portal/", page),
        Route("/portal/api/link", ask_link, methods=["POST"]),
        Route("/portal/api/session", open_session, methods=["POST"]),
        Route("/portal/api/tickets", tickets),
        Route("/portal/api/tickets/{ticket_id}", ticket),
        Route("/portal/api/tickets/{ticket_id}/messages", reply, methods=["POST"]),
        Route("/portal/api/logout", logout, methods=["POST"]),
        Mount("/portal/static", StaticFiles(directory=STATIC)),
    ]
    return service_app(
        "portal", broker, settings, settings.portal_port, routes=routes, on_startup=[start]
    )


PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
