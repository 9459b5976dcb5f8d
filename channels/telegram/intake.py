"""Telegram's part of the shared intake (channels/_adapter/intake.py): the customer's files
downloaded before the message is stored, and a pressed button's spinner stopped after."""

import asyncio
import logging
from typing import Any

from channels._adapter.inbound import InboundPublisher
from channels._adapter.intake import Intake
from channels.telegram.bots import BotPool
from channels.telegram.normalize import normalize
from contracts.messages import Attachment, InboundMessage
from services.runtime.deadletter import describe
from services.runtime.files import FileStore
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.telegram")
FILE_TIMEOUT = 15.0  # Telegram waits about a minute for a webhook's answer: leave room


def telegram_intake(pool: BotPool, files: FileStore, publisher: InboundPublisher) -> Intake:
    async def enrich(message: InboundMessage, account: str) -> InboundMessage:
        if not message.attachments:
            return message
        kept = [await _fetch(pool, files, a, account) for a in message.attachments]
        return message.model_copy(update={"attachments": kept})

    async def after(update: dict[str, Any], account: str, message: InboundMessage) -> None:
        if isinstance(query := update.get("callback_query"), dict) and "id" in query:
            await _answer(pool, account, str(query["id"]))

    return Intake("telegram", publisher, normalize, enrich, after)


async def _answer(pool: BotPool, account: str, query_id: str) -> None:
    """Stop the spinner on the customer's button; the press itself is already stored."""
    try:
        await (await pool.get(account)).answer_callback_query(query_id)
    except Exception as error:  # a spinner left turning costs nothing; the press is stored
        log.info("callback %s not answered: %s", query_id, describe(error))


async def _fetch(
    pool: BotPool, files: FileStore, attachment: Attachment, account: str
) -> Attachment:
    """The customer's file, downloaded and kept; on any trouble, the reference alone."""
    if not attachment.external_id or attachment.size > files.max_bytes:
        return attachment
    try:
        async with asyncio.timeout(FILE_TIMEOUT):
            found = await (await pool.get(account)).get_file(attachment.external_id)
            data = bytes(await found.download_as_bytearray())
        saved = await asyncio.to_thread(files.save, data, attachment.name, attachment.content_type)
    except Exception as error:  # the message matters more than its file: store it anyway
        ERRORS.labels("telegram", "file_download").inc()
        log.warning("file %s not downloaded: %s", attachment.name, describe(error))
        return attachment
    return saved.model_copy(update={"external_id": attachment.external_id})
