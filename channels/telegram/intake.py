"""One update in, from a webhook or from getUpdates: normalized, the customer's files
downloaded, and in JetStream before the caller says "done" to Telegram."""

import asyncio
import logging
from typing import Any

from pydantic_core import to_json

from channels._adapter.inbound import InboundPublisher
from channels.telegram.bots import BotPool
from channels.telegram.normalize import Skipped, normalize
from contracts import streams, subjects
from contracts.messages import Attachment
from services.runtime.deadletter import describe
from services.runtime.files import FileStore
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.telegram")
FILE_TIMEOUT = 15.0  # Telegram waits about a minute for a webhook's answer: leave room


class Intake:
    def __init__(self, pool: BotPool, files: FileStore, publisher: InboundPublisher) -> None:
        self.pool = pool
        self.files = files
        self.publisher = publisher

    async def accept(self, update: dict[str, Any], account: str) -> str | None:
        """None once the message is stored, or why the update was skipped. Raises when the
        message could not be stored: the caller makes Telegram send it again."""
        try:
            message = normalize(update, account)
        except Exception as error:  # retrying would fail the same way: keep it, move on
            await self.keep_bad(account, to_json(update), describe(error))
            return f"unreadable update: {describe(error)}"
        if isinstance(message, Skipped):
            log.info("update %s skipped: %s", update.get("update_id"), message.reason)
            return message.reason
        if message.attachments:
            kept = [await self._fetch(a, account) for a in message.attachments]
            message = message.model_copy(update={"attachments": kept})
        await self.publisher.publish(message)
        if isinstance(query := update.get("callback_query"), dict) and "id" in query:
            await self._answer(account, str(query["id"]))
        return None

    async def _answer(self, account: str, query_id: str) -> None:
        """Stop the spinner on the customer's button; the press itself is already stored."""
        try:
            await (await self.pool.get(account)).answer_callback_query(query_id)
        except Exception as error:
            log.info("callback %s not answered: %s", query_id, describe(error))

    async def keep_bad(self, account: str, body: bytes, reason: str) -> None:
        """A payload nobody can read goes to `deadletter.inbound.telegram`, for operators."""
        ERRORS.labels("telegram", "bad_update").inc()
        log.warning("unreadable update for %r kept in the dead-letter stream: %s", account, reason)
        await self.publisher.js.publish(
            subjects.dead_letter(subjects.inbound("telegram")),
            body,
            headers={
                streams.DEAD_REASON: reason[:500],
                streams.DEAD_SUBJECT: "telegram:" + account,
            },
        )

    async def _fetch(self, attachment: Attachment, account: str) -> Attachment:
        """The customer's file, downloaded and kept; on any trouble, the reference alone."""
        if not attachment.external_id or attachment.size > self.files.max_bytes:
            return attachment
        try:
            async with asyncio.timeout(FILE_TIMEOUT):
                found = await (await self.pool.get(account)).get_file(attachment.external_id)
                data = bytes(await found.download_as_bytearray())
            saved = await asyncio.to_thread(
                self.files.save, data, attachment.name, attachment.content_type
            )
        except Exception as error:
            ERRORS.labels("telegram", "file_download").inc()
            log.warning("file %s not downloaded: %s", attachment.name, describe(error))
            return attachment
        return saved.model_copy(update={"external_id": attachment.external_id})
