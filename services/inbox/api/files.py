"""Files: upload one to attach it to a reply; download one from a ticket you may see."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse

from contracts.messages import Attachment
from services.inbox import receipts
from services.inbox.api.context import Agent, Ctx
from services.inbox.api.errors import ERRORS, NotFound
from services.inbox.api.schemas import Upload
from services.inbox.api.tickets import detail_for
from services.runtime.files import PREFIX, FileTooLarge, read_upload
from services.runtime.files import download as download_file

router = APIRouter(prefix="/api/v1", tags=["files"], responses=ERRORS)
BINARY = {
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
}


@router.post(
    "/files",
    response_model=Upload,
    status_code=201,
    openapi_extra={"requestBody": {**BINARY, "required": True}},
    responses={413: {"description": "Larger than RELAYDESK_INBOX_MAX_FILE_MB"}},
)
async def upload(
    request: Request,
    agent: Agent,
    ctx: Ctx,
    name: Annotated[str, Query(min_length=1, max_length=255, description="The file's name")],
) -> Upload:
    """The request body is the file; its Content-Type is kept. Send the returned attachment,
    with its receipt, in `attachments` of a reply."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > ctx.files.max_bytes:
        raise HTTPException(413, f"a file may be at most {ctx.settings.inbox_max_file_mb} MB")
    content_type = request.headers.get("content-type", "application/octet-stream")[:200]
    try:
        data = await read_upload(request.stream(), ctx.files.max_bytes)
        saved = await asyncio.to_thread(ctx.files.save, data, name, content_type)
    except FileTooLarge as error:
        raise HTTPException(413, str(error)) from error
    receipt = receipts.receipt(ctx.key, agent.id, saved.ref or "")
    return Upload(**saved.model_dump(), receipt=receipt)


@router.get(
    "/tickets/{ticket_id}/files/{digest}",
    response_class=FileResponse,
    responses={200: BINARY},
)
async def download(ticket_id: str, digest: str, agent: Agent, ctx: Ctx) -> FileResponse:
    """A file attached to a message of this ticket, or a message's original (an email's
    source, as received)."""
    detail = await detail_for(ctx, agent, ticket_id)
    ref = PREFIX + digest
    attachment = next((a for m in detail.messages for a in m.attachments if a.ref == ref), None)
    if attachment is None and any(m.raw_ref == ref for m in detail.messages):
        attachment = Attachment(name="original.eml", content_type="message/rfc822", size=0, ref=ref)
    path = ctx.files.path(digest)
    if attachment is None or path is None:
        raise NotFound(f"no file {digest} on ticket {ticket_id}")
    return download_file(path, attachment)
