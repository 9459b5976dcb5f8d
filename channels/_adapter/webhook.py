"""`POST /<channel>/<account>/<hook>`: every platform's webhook, one pipeline.

verify (the channel's check: a secret header, a secret field, an HMAC signature) -> 401;
size limit -> 413; parse (not a JSON object: kept in the dead-letter stream, 400);
normalize, enrich and publish through the `Intake`; a failed publish -> 503, so the platform
sends the update again; then the channel's own answer (Telegram reads only the status, VK
wants the text `ok`, Viber a 200).

A plain ASGI endpoint: this is the hottest path of an adapter, see services/runtime/asgi.py.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic_core import from_json, to_json
from starlette.types import Receive, Scope, Send

from channels._adapter.intake import Intake, Kept, Result, Skipped
from services.runtime.asgi import MAX_BODY, TooLarge, read_body, respond, respond_bytes
from services.runtime.deadletter import describe
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.adapter")
Headers = list[tuple[bytes, bytes]]
JSON = b"application/json"


@dataclass(frozen=True)
class Answer:
    """What the platform is told; `body` is sent as is (`content_type` when it has one)."""

    status: int = 200
    body: bytes = b""
    content_type: bytes | None = None


Verify = Callable[[str, Headers, bytes], bool]
Reply = Callable[[str, dict[str, Any], Result], Answer]


def empty_ok(account: str, update: dict[str, Any], result: Result) -> Answer:
    """A 200 with an empty body; a skipped or kept update says why, for whoever reads it
    (platforms read only the status)."""
    if isinstance(result, Skipped):
        return Answer(200, to_json({"ok": True, "skipped": result.reason}), JSON)
    if isinstance(result, Kept):
        return Answer(200, to_json({"ok": True, "kept": result.reason}), JSON)
    return Answer()


class Webhook:
    def __init__(
        self,
        intake: Callable[[], Intake],
        verify: Verify,
        reply: Reply = empty_ok,
        limit: int = MAX_BODY,
    ) -> None:
        """`intake` is called per request: it exists once the broker is connected."""
        self.intake = intake
        self.verify = verify
        self.reply = reply
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        account = scope["path_params"]["account"]
        intake = self.intake()
        try:
            body = await read_body(receive, self.limit)
        except TooLarge as error:
            await respond(send, 413, {"detail": str(error)})
            return
        if not self.verify(account, scope["headers"], body):
            ERRORS.labels(intake.channel, "webhook_refused").inc()
            log.warning("%s webhook for %r refused: not verified", intake.channel, account)
            await respond(send, 401, {"detail": "not verified"})
            return
        try:
            update = from_json(body)
            if not isinstance(update, dict):
                raise ValueError("an update is a JSON object")
        except ValueError as error:
            await intake.keep(account, body, f"not JSON: {describe(error)}")
            await respond(send, 400, {"detail": f"not an update: {error}"})
            return
        try:
            result = await intake.accept(update, account)
        except Exception as error:  # not stored: the platform must send it again
            ERRORS.labels(intake.channel, "publish").inc()
            log.warning(
                "%s update not stored (%s): the platform will retry",
                intake.channel,
                describe(error),
            )
            await respond(send, 503, {"detail": "try again"})
            return
        answer = self.reply(account, update, result)
        await respond_bytes(send, answer.status, answer.body, answer.content_type)
