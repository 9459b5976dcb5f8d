"""VK's part of the shared intake (channels/_adapter/intake.py): before a message is stored,
the customer's name (`users.get`, cached) and their files (downloaded and kept,
within the size limit); on any trouble the message is stored without them."""

import asyncio
import logging
from collections.abc import Callable

from channels._adapter.inbound import InboundPublisher
from channels._adapter.intake import Intake
from channels.vk.client import Communities
from channels.vk.normalize import normalize
from contracts.messages import Attachment, InboundMessage
from services.runtime.deadletter import describe
from services.runtime.files import FileStore
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.vk")
CALL_TIMEOUT = 10.0  # VK waits about 25 s for the callback's "ok": leave room


def vk_intake(communities: Communities, files: FileStore, publisher: InboundPublisher) -> Intake:
    async def enrich(message: InboundMessage, account: str) -> InboundMessage:
        community = communities.get(account)
        if community is None:
            return message
        # The message is this request's own, fresh from the normalizer: filled in place.
        try:
            async with asyncio.timeout(CALL_TIMEOUT):
                name = await community.person(message.sender.channel_user_id)
            message.sender.display_name = name
        except Exception as error:  # a name is a nicety; the message is not
            log.info(
                "no profile for VK user %s: %s", message.sender.channel_user_id, describe(error)
            )
        if message.attachments:
            message.attachments = [
                await _fetch(community.download, files, a) for a in message.attachments
            ]
        return message

    return Intake("vk", publisher, normalize, enrich)


async def _fetch(
    download: Callable[[str, int], bytes | None], files: FileStore, attachment: Attachment
) -> Attachment:
    if not attachment.external_id:
        return attachment
    try:
        async with asyncio.timeout(CALL_TIMEOUT):
            data = await asyncio.to_thread(download, attachment.external_id, files.max_bytes)
        if data is None:
            return attachment  # larger than we keep: the reference alone
        saved = await asyncio.to_thread(files.save, data, attachment.name, attachment.content_type)
    except Exception as error:  # the message matters more than its file
        ERRORS.labels("vk", "file_download").inc()
        log.warning("file %s not downloaded: %s", attachment.name, describe(error))
        return attachment
    return saved.model_copy(update={"external_id": attachment.external_id})
