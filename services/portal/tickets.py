"""The signed-in customer's tickets, their files, and their replies.

GET  /portal/api/tickets                 the customer's tickets on every channel
GET  /portal/api/tickets/{id}            one of them with its public conversation (never notes)
POST /portal/api/tickets/{id}/files?name=   the body is a file; answers it with a receipt
GET  /portal/api/tickets/{id}/files/{sha256}   a file on a message the customer sees
POST /portal/api/tickets/{id}/messages {text, attachments}   a reply, on the ticket's channel

A ticket that is not the customer's answers 404, like one that does not exist. A reply may
attach only files this customer uploaded (the receipt says so), as in the inbox.
"""

import asyncio

from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from contracts import queries as q
from contracts import streams, subjects
from contracts.messages import Attachment, InboundMessage, Sender
from services.portal import links, views
from services.portal.context import customer, portal, refused
from services.portal.views import Customer
from services.runtime.files import FileTooLarge, read_upload
from services.runtime.files import download as download_file
from services.runtime.metrics import MESSAGES

LIST_LIMIT = 100


class Upload(Attachment):
    receipt: str = Field(min_length=64, max_length=64)


class ReplyIn(BaseModel):
    text: str = Field(default="", max_length=20000)
    attachments: list[Upload] = Field(default_factory=list, max_length=10)


async def owned(
    request: Request, *, messages: bool = True
) -> tuple[Customer, q.TicketDetail] | Response:
    """The ticket of the path if it is the customer's; with `messages=False` the ticket and
    its contact alone (enough to upload to it or answer it)."""
    who = customer(request)
    if who is None:
        return refused("sign in first", 401)
    ticket_id = request.path_params["ticket_id"]
    try:
        detail = await portal(request).store().ticket(ticket_id, None, messages=messages)
    except Exception:  # unknown id, or not answered: the same 404 either way
        return refused("no such ticket", 404)
    if not who.owns(detail.contact):
        return refused("no such ticket", 404)
    return who, detail


async def listing(request: Request) -> Response:
    who = customer(request)
    if who is None:
        return refused("sign in first", 401)
    found = await portal(request).store().page(who.tickets(LIST_LIMIT))
    items = [views.summary(t) for t in found.items]
    return JSONResponse({"email": who.email, "items": items})


async def one(request: Request) -> Response:
    found = await owned(request)
    return found if isinstance(found, Response) else JSONResponse(views.public(found[1]))


async def upload(request: Request) -> Response:
    found = await owned(request, messages=False)
    if isinstance(found, Response):
        return found
    files = portal(request).files
    name = request.query_params.get("name", "").strip()[:255]
    if not name:
        return refused("the file's name, please (?name=)", 422)
    declared = request.headers.get("content-length", "")
    content_type = request.headers.get("content-type", "application/octet-stream")[:200]
    try:
        if declared.isdigit() and int(declared) > files.max_bytes:
            raise FileTooLarge(f"a file may be at most {files.max_bytes // 1_000_000} MB")
        data = await read_upload(request.stream(), files.max_bytes)
        saved = await asyncio.to_thread(files.save, data, name, content_type)
    except FileTooLarge as error:
        return refused(str(error), 413)
    receipt = views.receipt(portal(request).key, found[0], saved.ref or "")
    return JSONResponse({**saved.model_dump(), "receipt": receipt}, 201)


async def download(request: Request) -> Response:
    found = await owned(request)
    if isinstance(found, Response):
        return found
    digest = request.path_params["digest"]
    attachment = views.public_file(found[1], digest)
    path = portal(request).files.path(digest)
    if attachment is None or path is None:
        return refused("no such file", 404)
    return download_file(path, attachment)


async def reply(request: Request) -> Response:
    found = await owned(request, messages=False)
    if isinstance(found, Response):
        return found
    who, detail = found
    p = portal(request)
    try:
        body = ReplyIn.model_validate(await request.json())
    except (ValueError, ValidationError):
        return refused("a reply has up to 20,000 characters and 10 files", 422)
    if not body.text.strip() and not body.attachments:
        return refused("write something or attach a file", 422)
    if any(u.receipt != views.receipt(p.key, who, u.ref or "") for u in body.attachments):
        return refused("attach files uploaded here", 422)
    t, contact = detail.ticket, detail.contact
    identities = contact.identities if contact else []
    identity = next((i for i in identities if i.startswith(f"{t.channel}:")), None)
    if identity is None:
        return refused("this conversation cannot be answered here", 409)
    message = InboundMessage(
        channel=t.channel,
        account=t.account,
        thread_key=t.thread_key,
        external_id=f"portal-{links.nonce()}",
        sender=Sender(channel_user_id=identity.partition(":")[2]),
        text=body.text,
        attachments=[Attachment(**u.model_dump(exclude={"receipt"})) for u in body.attachments],
        ticket_token=t.id,  # checked above: the store joins it to this ticket
    )
    headers = {streams.MSG_ID: message.dedupe_key}
    await p.broker.connection.jetstream().publish(
        subjects.inbound(t.channel), message.to_bytes(), headers=headers
    )
    MESSAGES.labels("portal", t.channel, "in").inc()
    return JSONResponse({"id": message.id}, 202)
