"""Signing in: a link mailed on request, a link an agent sends from a ticket, the exchange
of a link for a session cookie (once), and logging out.

POST /portal/api/link {email}      mail a sign-in link (always 202: who has tickets never leaks)
POST /portal/api/session {token}   exchange a link, once, for an HttpOnly session cookie
POST /portal/api/logout
`portal.link` (NATS request, from the inbox) {ticket_id}: a link for that ticket's customer,
which the agent sends in the conversation
"""

import json
import logging
import time
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from contracts import queries as q
from services.portal import links, mail, notices
from services.portal.context import COOKIE, Portal, portal, refused
from services.portal.views import CONTACT
from services.runtime.kv import lost_race
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.portal")


class LinkIn(BaseModel):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class SessionIn(BaseModel):
    token: str = Field(min_length=10, max_length=2000)


class AgentLinkIn(BaseModel):
    ticket_id: str = Field(min_length=1, max_length=100)


def sign_in_url(p: Portal, email: str, scope: str = "") -> tuple[str, float]:
    now = time.time()
    seconds = p.settings.portal_link_minutes * 60
    token = links.issue(p.key, "link", email, now, seconds, scope)
    return f"{p.settings.portal_url.rstrip('/')}/portal/#link={token}", now + seconds


async def ask_link(request: Request) -> Response:
    p = portal(request)
    try:
        body = LinkIn.model_validate(await request.json())
    except (ValueError, ValidationError):
        return refused("an email address, please", 422)
    email = body.email.strip().lower()
    client = request.client.host if request.client else "?"
    now = time.time()
    if not p.per_client.take(client, now) or not p.per_address.take(email, now):
        return refused("too many links asked; try again later", 429)
    found = await p.store().page(q.ListTickets(contact_email=email, limit=1))
    if found.items:
        link, _ = sign_in_url(p, email)
        try:
            await mail.send(p.settings, mail.compose(p.settings, email, link))
        except Exception as error:  # the mail server is away: say so, keep nothing
            ERRORS.labels("portal", "sign_in_mail").inc()
            log.warning("sign-in mail not sent: %s", type(error).__name__)
            return refused("the mail could not be sent; try again", 503)
    return JSONResponse({"detail": "if we know this address, a link is on its way"}, 202)


async def open_session(request: Request) -> Response:
    p = portal(request)
    try:
        body = SessionIn.model_validate(await request.json())
        signed = links.check(p.key, "link", body.token, time.time())
    except (ValueError, ValidationError):
        return refused("not a link", 422)
    except links.Refused as error:
        return refused(str(error), 410)
    try:  # single use: the nonce is remembered until the link would have expired
        await p.links_used().create(signed.nonce, b"1")
    except Exception as error:
        if not lost_race(error):
            raise
        return refused("this link was used already", 410)
    seconds = p.settings.portal_session_hours * 3600
    session = links.issue(p.key, "session", signed.email, time.time(), seconds, signed.scope)
    answer = JSONResponse({"email": signed.email or None})
    secure = p.settings.portal_url.startswith("https://")
    answer.set_cookie(
        COOKIE, session, max_age=seconds, httponly=True, samesite="strict", secure=secure,
        path="/portal/",
    )  # fmt: skip
    return answer


async def logout(request: Request) -> Response:
    answer = Response(status_code=204)
    answer.delete_cookie(COOKIE, path="/portal/")
    return answer


def agent_link_responder(p: Portal) -> Callable[[Msg], Awaitable[None]]:
    """Answers the inbox: a link for the customer of a ticket, by their address when the
    contact has one (so the session sees every ticket with it), else by the contact."""

    async def answer(msg: Msg) -> None:
        try:
            ticket_id = AgentLinkIn.model_validate_json(msg.data).ticket_id
            detail = await p.store().ticket(ticket_id, None, messages=False)
        except Exception as error:  # unreadable, unknown ticket, or the store away
            await msg.respond(json.dumps({"error": type(error).__name__}).encode())
            return
        email = notices.address_of(detail.contact)
        if email:
            url, expires = sign_in_url(p, email)
        elif detail.contact is not None:
            url, expires = sign_in_url(p, "", f"{CONTACT}{detail.contact.id}")
        else:
            await msg.respond(b'{"error": "the ticket has no contact"}')
            return
        await msg.respond(json.dumps({"url": url, "expires_at": expires}).encode())

    return answer
