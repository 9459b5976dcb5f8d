"""The Telegram adapter service: webhooks in, replies out, one process for every bot.

`POST /telegram/<account>/webhook`: the secret header is checked first (401, nothing
published); the update is normalized and in JetStream before Telegram gets its 200, and a
failure answers 503 so Telegram retries. Updates that are not customer messages get a 200
and are dropped with a log line; a body that is not JSON gets a 400 and is kept in
`deadletter.inbound.telegram` for inspection.
"""

import asyncio
import hmac
import logging
from typing import Any

from pydantic_core import from_json
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Bot

from channels._adapter.inbound import InboundPublisher
from channels._adapter.outbound import OutboundWorker
from channels._adapter.outcome import Outcome, Retry
from channels.telegram import send
from channels.telegram.normalize import Skipped, normalize
from channels.telegram.settings import BotConfig, TelegramSettings
from contracts import streams, subjects
from contracts.messages import Attachment, OutboundMessage
from services.runtime.broker import make_broker
from services.runtime.deadletter import describe
from services.runtime.files import FileStore
from services.runtime.http import service_app
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.telegram")
FILE_TIMEOUT = 15.0  # Telegram waits about a minute for our answer: leave room to publish
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


def create_app(settings: TelegramSettings | None = None) -> Starlette:
    settings = settings or TelegramSettings()
    if settings.telegram_mode != "webhook":
        raise ValueError("RELAYDESK_TELEGRAM_MODE=polling is not available yet: use webhook")
    broker = make_broker(settings, "telegram")
    configs: dict[str, BotConfig] = {b.account: b for b in settings.telegram_bots}
    bots = {
        account: Bot(
            config.token.get_secret_value(),
            base_url=settings.telegram_api_base,
            base_file_url=settings.file_base,
        )
        for account, config in configs.items()
    }
    files = FileStore.under(settings.data_dir, settings.telegram_max_file_mb)
    ready: set[str] = set()
    parts: dict[str, Any] = {}

    async def bot_for(account: str) -> Bot:
        bot = bots[account]
        if account not in ready:
            await bot.initialize()  # getMe; raises (and the caller retries) while unreachable
            ready.add(account)
        return bot

    async def deliver(out: OutboundMessage) -> Outcome:
        if out.account not in bots:
            return Retry(f"no bot configured for account {out.account!r}", after=30.0)
        return await send.deliver(await bot_for(out.account), out, files)

    async def fetch(attachment: Attachment, account: str) -> Attachment:
        """The customer's file, downloaded and kept; on any trouble, the reference alone."""
        if not attachment.external_id or attachment.size > files.max_bytes:
            return attachment
        try:
            async with asyncio.timeout(FILE_TIMEOUT):
                found = await (await bot_for(account)).get_file(attachment.external_id)
                data = bytes(await found.download_as_bytearray())
            saved = await asyncio.to_thread(
                files.save, data, attachment.name, attachment.content_type
            )
        except Exception as error:
            ERRORS.labels("telegram", "file_download").inc()
            log.warning("file %s not downloaded: %s", attachment.name, describe(error))
            return attachment
        return saved.model_copy(update={"external_id": attachment.external_id})

    async def webhook(request: Request) -> Response:
        account = request.path_params["account"]
        config = configs.get(account)
        given = request.headers.get(SECRET_HEADER, "")
        if config is None or not hmac.compare_digest(
            given.encode(), config.secret.get_secret_value().encode()
        ):
            ERRORS.labels("telegram", "webhook_secret").inc()
            log.warning("webhook for %r refused: wrong or missing secret", account)
            return JSONResponse({"detail": "wrong secret"}, status_code=401)
        body = await request.body()
        try:
            update = from_json(body)
            if not isinstance(update, dict):
                raise ValueError("an update is a JSON object")
        except ValueError as error:
            await keep_bad(account, body, str(error))
            return JSONResponse({"detail": f"not an update: {error}"}, status_code=400)
        message = normalize(update, account)
        if isinstance(message, Skipped):
            log.info("update %s skipped: %s", update.get("update_id"), message.reason)
            return JSONResponse({"ok": True, "skipped": message.reason})
        if message.attachments:
            kept = [await fetch(a, account) for a in message.attachments]
            message = message.model_copy(update={"attachments": kept})
        try:
            await parts["inbound"].publish(message)
        except Exception as error:  # not stored: Telegram must send it again
            ERRORS.labels("telegram", "publish").inc()
            log.warning(
                "update %s not stored (%s): asking Telegram to retry", message.external_id, error
            )
            return JSONResponse({"detail": "try again"}, status_code=503)
        return JSONResponse({"ok": True})

    async def keep_bad(account: str, body: bytes, reason: str) -> None:
        ERRORS.labels("telegram", "bad_update").inc()
        log.warning("unreadable update for %r kept in the dead-letter stream: %s", account, reason)
        await broker.connection.jetstream().publish(
            subjects.dead_letter(subjects.inbound("telegram")),
            body,
            headers={streams.DEAD_REASON: reason[:500], streams.DEAD_SUBJECT: "webhook:" + account},
        )

    async def start() -> None:
        js = broker.connection.jetstream()
        parts["inbound"] = InboundPublisher(js)
        worker = OutboundWorker(js, "telegram", deliver)
        await worker.start()
        parts["outbound"] = worker

    async def stop() -> None:
        if "outbound" in parts:
            await parts["outbound"].stop()
        for account in ready:
            await bots[account].shutdown()

    async def set_webhook(base_url: str) -> list[str]:
        """What `relaydesk run telegram --set-webhook URL` does, bot by bot."""
        done = []
        for account, bot in bots.items():
            url = f"{base_url.rstrip('/')}/telegram/{account}/webhook"
            secret = configs[account].secret.get_secret_value()
            async with bot:
                await bot.set_webhook(url=url, secret_token=secret)
            done.append(f"webhook of {account} set to {url}")
        return done

    app = service_app(
        "telegram",
        broker,
        settings,
        settings.telegram_port,
        routes=[Route("/telegram/{account}/webhook", webhook, methods=["POST"])],
        after_startup=[start],
        before_shutdown=[stop],
    )
    app.state.set_webhook = set_webhook
    return app
