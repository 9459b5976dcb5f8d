"""The conversation as the visitor sees it: their messages and the agents' replies, one
JetStream subject per visitor, replayed when they come back (another tab, a reload, a day
later)."""

from typing import Literal

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from pydantic import AwareDatetime, BaseModel, Field

from contracts import streams, subjects
from contracts.base import utcnow
from contracts.messages import Attachment, Button


class Line(BaseModel):
    id: str
    who: Literal["visitor", "agent"]
    text: str
    files: list[Attachment] = Field(default_factory=list)
    buttons: list[list[Button]] = Field(
        default_factory=list, description="Choices under an agent's line (bot menu, rating)"
    )
    at: AwareDatetime = Field(default_factory=utcnow)


async def append(js: JetStreamContext, account: str, visitor: str, line: Line) -> None:
    # The line's id as Nats-Msg-Id: a reply pushed again after a crash is recorded once.
    await js.publish(
        subjects.webchat_transcript(account, visitor),
        line.model_dump_json().encode(),
        headers={streams.MSG_ID: f"{account}:{visitor}:{line.id}"},
    )


async def history(js: JetStreamContext, account: str, visitor: str) -> list[Line]:
    subject = subjects.webchat_transcript(account, visitor)
    try:
        await js.get_last_msg(streams.WEBCHAT.name, subject)
    except nats.errors.Error:
        return []  # nothing said yet
    sub = await js.subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    lines: list[Line] = []
    try:
        while True:
            msg = await sub.next_msg(timeout=2.0)
            lines.append(Line.model_validate_json(msg.data))
            if msg.metadata.num_pending == 0:
                return lines
    except (TimeoutError, nats.errors.TimeoutError):
        return lines
    finally:
        await sub.unsubscribe()
