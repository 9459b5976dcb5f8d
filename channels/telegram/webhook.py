"""`POST /telegram/<account>/webhook`, as a plain ASGI endpoint (the hottest path of the
adapter: see services/runtime/asgi.py for why it skips Starlette's request objects).

The secret header is checked first (401, nothing published); the update is in JetStream
before Telegram gets its 200, and a failure answers 503 so Telegram retries. Updates that
are not customer messages get a 200 and are dropped with a log line; a body that is not
JSON gets a 400 and is kept in `deadletter.inbound.telegram` for inspection.
"""

import hmac
import logging
from collections.abc import Callable, Mapping

from pydantic_core import from_json
from starlette.types import Receive, Scope, Send

from channels.telegram.intake import Intake
from services.runtime.asgi import TooLarge, header, read_body, respond
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.telegram")
SECRET_HEADER = b"x-telegram-bot-api-secret-token"


class Webhook:
    def __init__(self, secrets: Mapping[str, bytes], intake: Callable[[], Intake]) -> None:
        self.secrets = secrets
        self.intake = intake  # there once the broker is connected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        account = scope["path_params"]["account"]
        expected = self.secrets.get(account)
        if expected is None or not hmac.compare_digest(header(scope, SECRET_HEADER), expected):
            ERRORS.labels("telegram", "webhook_secret").inc()
            log.warning("webhook for %r refused: wrong or missing secret", account)
            await respond(send, 401, {"detail": "wrong secret"})
            return
        try:
            body = await read_body(receive)
        except TooLarge as error:
            await respond(send, 413, {"detail": str(error)})
            return
        try:
            update = from_json(body)
            if not isinstance(update, dict):
                raise ValueError("an update is a JSON object")
        except ValueError as error:
            await self.intake().keep_bad(account, body, str(error))
            await respond(send, 400, {"detail": f"not an update: {error}"})
            return
        try:
            skipped = await self.intake().accept(update, account)
        except Exception as error:  # not stored: Telegram must send it again
            ERRORS.labels("telegram", "publish").inc()
            log.warning(
                "update %s not stored (%s): Telegram will retry", update.get("update_id"), error
            )
            await respond(send, 503, {"detail": "try again"})
            return
        # Telegram reads only the status; the body says why an update was dropped.
        await respond(send, 200, {"ok": True, "skipped": skipped} if skipped else None)
