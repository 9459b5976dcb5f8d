"""The Telegram adapter service: updates in (webhook or polling), replies out, one process for
every bot. The webhook itself lives in `webhook.py`."""

import asyncio

from starlette.applications import Starlette
from starlette.routing import Route

from channels._adapter.bus import declare_adapter
from channels._adapter.capabilities import Part
from channels._adapter.inbound import InboundPublisher
from channels._adapter.outbound import OutboundWorker
from channels._adapter.outcome import Outcome, Retry
from channels._adapter.running import Running
from channels._adapter.typing import follow_typing
from channels._adapter.webhook import Webhook
from channels.telegram import polling, send, webhook
from channels.telegram.bots import BotPool
from channels.telegram.intake import telegram_intake
from channels.telegram.settings import TelegramSettings
from contracts.messages import OutboundMessage
from contracts.typing import Typing
from services.runtime.broker import make_broker
from services.runtime.files import FileStore
from services.runtime.http import service_app
from services.runtime.kv import open_bucket

RATE = 30  # messages per second a bot may send (Bot API FAQ); more is answered with 429


def create_app(settings: TelegramSettings | None = None) -> Starlette:
    settings = settings or TelegramSettings()
    broker = make_broker(settings, "telegram")
    declare_adapter(broker, "telegram")
    secrets = {b.account: b.secret.get_secret_value().encode() for b in settings.telegram_bots}
    pool = BotPool(settings)
    files = FileStore.under(settings.data_dir, settings.telegram_max_file_mb)
    running = Running()

    async def deliver(out: OutboundMessage, part: Part) -> Outcome:
        if out.account not in pool.bots:
            return Retry(f"no bot configured for account {out.account!r}", after=30.0)
        return await send.deliver(await pool.get(out.account), out, part, files)

    async def agent_typing(typing: Typing) -> None:
        """Telegram's own "typing…" under the chat title (it lasts 5 s or until a message)."""
        if typing.account in pool.bots:
            bot = await pool.get(typing.account)
            await bot.send_chat_action(chat_id=typing.thread_key, action="typing")

    async def start() -> None:
        js = broker.connection.jetstream()
        running.typing = await follow_typing(broker.connection, "telegram", agent_typing)
        intake = running.intake = telegram_intake(pool, files, InboundPublisher(js))
        worker = OutboundWorker(js, "telegram", deliver, send.CAPABILITIES, rate=RATE, burst=RATE)
        await worker.start()
        running.outbound = worker
        if settings.telegram_mode == "polling":
            offsets = await open_bucket(js, polling.OFFSETS)
            for account in pool.bots:
                poller = polling.poll(pool, account, intake, offsets)
                running.tasks.append(asyncio.create_task(poller))

    async def stop() -> None:
        await running.stop()
        await pool.close()

    async def set_webhook(base_url: str) -> list[str]:
        """What `relaydesk run telegram --set-webhook URL` does, bot by bot."""
        done = []
        for account, bot in pool.bots.items():
            url = f"{base_url.rstrip('/')}/telegram/{account}/webhook"
            async with bot:
                await bot.set_webhook(url=url, secret_token=secrets[account].decode())
            done.append(f"webhook of {account} set to {url}")
        return done

    app = service_app(
        "telegram",
        broker,
        settings,
        settings.telegram_port,
        # Polling needs no webhook, and a route nobody configured is one nobody can misuse.
        routes=[
            Route(
                "/telegram/{account}/webhook",
                Webhook(running.connected_intake, webhook.verifier(secrets)),
                methods=["POST"],
            )
        ]
        if settings.telegram_mode == "webhook"
        else [],
        after_startup=[start],
        before_shutdown=[stop],
    )
    app.state.set_webhook = set_webhook
    return app
