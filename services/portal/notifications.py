"""A customer's notice choices, and the one-click stop that every notice mail carries.

GET  /portal/api/notifications           {email, replies, resolved, weekly}
PUT  /portal/api/notifications {replies, resolved, weekly}
POST /portal/api/unsubscribe?token=      stop one notice; what a mail client's unsubscribe
                                         button posts (RFC 8058), and what the mailed link's
                                         page posts, so no prefetching scanner stops anything
A customer signed in by their contact (no address known) has nothing to choose: notices go
by mail only.
"""

import time
from datetime import UTC, datetime

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.portal import links, notices
from services.portal.context import customer, portal, refused


class ChoicesIn(BaseModel):
    replies: bool
    resolved: bool
    weekly: bool


def shown(prefs: notices.Prefs) -> dict[str, object]:
    return {t: prefs.wants(t) for t in notices.TOPICS} | {"email": prefs.email}


async def choices(request: Request) -> Response:
    who = customer(request)
    if who is None:
        return refused("sign in first", 401)
    if who.email is None:
        return JSONResponse({"email": None})
    prefs = await portal(request).preferences().get(who.email)
    if request.method == "GET":
        return JSONResponse(shown(prefs))
    try:
        body = ChoicesIn.model_validate(await request.json())
    except (ValueError, ValidationError):
        return refused("replies, resolved and weekly: true or false", 422)
    chosen = prefs.choose(body.replies, body.resolved, body.weekly, datetime.now(UTC))
    await portal(request).preferences().put(chosen)
    return JSONResponse(shown(chosen))


async def unsubscribe(request: Request) -> Response:
    p = portal(request)
    token = request.query_params.get("token", "")
    if not token and request.headers.get("content-type", "").startswith("application/json"):
        try:
            token = str((await request.json()).get("token", ""))
        except (ValueError, AttributeError):  # not JSON, or not an object: no token
            token = ""
    try:
        signed = links.check(p.key, "unsubscribe", token, time.time())
    except links.Refused as error:
        return refused(str(error), 410)
    topic = next((t for t in notices.TOPICS if t == signed.scope), None)
    if topic is None:
        return refused("this link is damaged", 410)
    prefs = await p.preferences().get(signed.email)
    if prefs.wants(topic):
        off = {t: prefs.wants(t) and t != topic for t in notices.TOPICS}
        await p.preferences().put(prefs.choose(**off, now=datetime.now(UTC)))
    return JSONResponse({"email": signed.email, "topic": topic})
