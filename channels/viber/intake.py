"""Viber's part of the shared intake: receipts (`delivered`, `seen`, `failed`) become delivery
reports naming our reply by its `message_token` (the store resolves it, and never moves a
status back); customers' files are downloaded and kept within the size limit before the
message is stored."""

import asyncio
import logging
from typing import Any

import httpx

from channels._adapter.delivery import DeliveryReporter
from channels._adapter.inbound import InboundPublisher
from channels._adapter.intake import Intake, Result, Skipped
from channels.viber.normalize import RECEIPTS, normalize
from contracts.messages import Attachment, DeliveryStatus, InboundMessage
from services.runtime.deadletter import describe
from services.runtime.files import FileStore
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.viber")
FILE_TIMEOUT = 15.0


class ViberIntake(Intake):
    def __init__(
        self,
        publisher: InboundPublisher,
        reports: DeliveryReporter,
        files: FileStore,
        http: httpx.AsyncClient,
    ) -> None:
        super().__init__("viber", publisher, normalize, self._files)
        self.reports = reports
        self.store = files
        self.http = http

    async def accept(self, update: dict[str, Any], account: str) -> Result:
        kind = update.get("event")
        token = update.get("message_token")
        if kind in RECEIPTS and token is not None:
            status: DeliveryStatus = RECEIPTS[str(kind)]  # type: ignore[assignment]
            reason = str(update.get("desc") or "Viber could not deliver it")
            await self.reports.receipt(
                "viber", account, str(token), status, bounced=reason if kind == "failed" else None
            )
            return Skipped(f"{kind} receipt")
        return await super().accept(update, account)

    async def _files(self, message: InboundMessage, account: str) -> InboundMessage:
        if message.attachments:
            message.attachments = [await self._fetch(a) for a in message.attachments]
        return message

    async def _fetch(self, attachment: Attachment) -> Attachment:
        """The customer's file, kept; over the limit or on any trouble, the reference alone."""
        if not attachment.external_id or attachment.size > self.store.max_bytes:
            return attachment
        try:
            async with asyncio.timeout(FILE_TIMEOUT):
                data = bytearray()
                async with self.http.stream("GET", attachment.external_id) as response:
                    response.raise_for_status()
                    async for chunk in response.aiter_bytes():
                        data += chunk
                        if len(data) > self.store.max_bytes:
                            return attachment
            saved = await asyncio.to_thread(
                self.store.save, bytes(data), attachment.name, attachment.content_type
            )
        except Exception as error:  # the message matters more than its file
            ERRORS.labels("viber", "file_download").inc()
            log.warning("file %s not downloaded: %s", attachment.name, describe(error))
            return attachment
        return saved.model_copy(update={"external_id": attachment.external_id})
