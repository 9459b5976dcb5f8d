"""The Viber adapter service: webhooks in, replies out over httpx, one process for every bot."""

import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from channels._adapter.bus import declare_adapter
from channels._adapter.capabilities import Part
from channels._adapter.delivery import DeliveryReporter
from channels._adapter.inbound import InboundPublisher
from channels._adapter.outbound import OutboundWorker
from channels._adapter.outcome import Outcome, Retry
from channels._adapter.running import Running
from channels._adapter.webhook import Webhook
from channels.viber import files as served
from channels.viber import send, webhook
from channels.viber.intake import ViberIntake
from channels.viber.settings import ViberSettings
from contracts.messages import OutboundMessage
from services.runtime.broker import make_broker
from services.runtime.files import FileStore
from services.runtime.http import service_app
from services.runtime.private import stored_secret

EVENTS = ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"]


def create_app(settings: ViberSettings | None = None) -> Starlette:
    settings = settings or ViberSettings()
    broker = make_broker(settings, "viber")
    declare_adapter(broker, "viber")
    bots = {b.account: b for b in settings.viber_bots}
    files = FileStore.under(settings.data_dir, settings.viber_max_file_mb)
    key = stored_secret(settings.data_dir / "viber-secret").encode()
    http = httpx.AsyncClient(timeout=30)
    running = Running()

    async def deliver(out: OutboundMessage, part: Part) -> Outcome:
        bot = bots.get(out.account)
        if bot is None:
            return Retry(f"no bot configured for account {out.account!r}", after=30.0)
        media = None
        if part.attachments and settings.viber_public_url:
            media = served.link(settings.viber_public_url, key, part.attachments[0].ref)
        return await send.deliver(http, settings.viber_api_base, bot, out, part, media)

    async def start() -> None:
        js = broker.connection.jetstream()
        running.intake = ViberIntake(InboundPublisher(js), DeliveryReporter(js), files, http)
        worker = OutboundWorker(js, "viber", deliver, send.CAPABILITIES)
        await worker.start()
        running.outbound = worker

    async def stop() -> None:
        await running.stop()
        await http.aclose()

    async def set_webhook(base_url: str) -> list[str]:
        """What `relaydesk run viber --set-webhook URL` does, bot by bot."""
        done = []
        async with httpx.AsyncClient(timeout=30) as client:
            for account, bot in bots.items():
                url = f"{base_url.rstrip('/')}/viber/{account}/webhook"
                answer = await client.post(
                    f"{settings.viber_api_base.rstrip('/')}/set_webhook",
                    json={"url": url, "event_types": EVENTS, "send_name": True, "send_photo": True},
                    headers={"X-Viber-Auth-Token": bot.token.get_secret_value()},
                )
                status = answer.json().get("status")
                done.append(f"webhook of {account} set to {url}: status {status}")
        return done

    app = service_app(
        "viber",
        broker,
        settings,
        settings.viber_port,
        routes=[
            Route(
                "/viber/{account}/webhook",
                Webhook(running.connected_intake, webhook.verifier(bots), webhook.answer(bots)),
                methods=["POST"],
            ),
            Route("/viber/files/{digest}/{expires:int}/{mac}", served.endpoint(files, key)),
        ],
        after_startup=[start],
        before_shutdown=[stop],
    )
    app.state.set_webhook = set_webhook
    return app
