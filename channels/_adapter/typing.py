"""Agents typing, for one channel's adapter to show the platform's way (a line in the web
chat, `sendChatAction` in Telegram). Core NATS, fire and forget: an indicator that is
malformed or cannot be shown is dropped with a debug line, never retried."""

import logging
from collections.abc import Awaitable, Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from contracts import subjects
from contracts.channels import Channel
from contracts.typing import Typing

log = logging.getLogger("relaydesk.adapter")


async def follow_typing(
    nc: Client, channel: Channel, show: Callable[[Typing], Awaitable[None]]
) -> Subscription:
    async def typed(msg: Msg) -> None:
        try:
            await show(Typing.model_validate_json(msg.data))
        except Exception as error:  # an indicator is never worth more than a log line
            log.debug("%s typing not shown: %s", channel, error)

    return await nc.subscribe(subjects.typing_agent(channel), cb=typed)
