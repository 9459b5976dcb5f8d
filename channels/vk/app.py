"""The VK adapter service: community events in (Callback API or Bots Long Poll), replies
out through vk-api, one process for every community."""

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
from channels.vk import callback, longpoll, send
from channels.vk.client import Communities
from channels.vk.intake import vk_intake
from channels.vk.settings import VkSettings
from contracts.messages import OutboundMessage
from contracts.typing import Typing
from services.runtime.broker import make_broker
from services.runtime.files import FileStore
from services.runtime.http import service_app
from services.runtime.kv import open_bucket


def create_app(settings: VkSettings | None = None) -> Starlette:
    settings = settings or VkSettings()
    broker = make_broker(settings, "vk")
    declare_adapter(broker, "vk")
    groups = {g.account: g for g in settings.vk_groups}
    communities = Communities(settings)
    files = FileStore.under(settings.data_dir, settings.vk_max_file_mb)
    running = Running()

    async def deliver(out: OutboundMessage, part: Part) -> Outcome:
        community = communities.get(out.account)
        if community is None:
            return Retry(f"no community configured for account {out.account!r}", after=30.0)
        return await send.deliver(community, out, part, files)

    async def agent_typing(typing: Typing) -> None:
        """VK's "typing…" in the chat (it lasts about 10 s or until a message)."""
        if community := communities.get(typing.account):
            await community.call(
                "messages.setActivity",
                peer_id=int(typing.thread_key),
                type="typing",
                group_id=community.group.group_id,
            )

    async def start() -> None:
        js = broker.connection.jetstream()
        running.typing = await follow_typing(broker.connection, "vk", agent_typing)
        intake = running.intake = vk_intake(communities, files, InboundPublisher(js))
        worker = OutboundWorker(
            js, "vk", deliver, send.CAPABILITIES, rate=settings.vk_rate, burst=int(settings.vk_rate)
        )
        await worker.start()
        running.outbound = worker
        if settings.vk_mode == "longpoll":
            progress = await open_bucket(js, longpoll.PROGRESS)
            for community in communities.by_account.values():
                running.tasks.append(
                    asyncio.create_task(longpoll.poll(community, intake, progress))
                )

    return service_app(
        "vk",
        broker,
        settings,
        settings.vk_port,
        # Long poll needs no callback, and a route nobody configured is one nobody can misuse.
        routes=[
            Route(
                "/vk/{account}/callback",
                Webhook(
                    running.connected_intake, callback.verifier(groups), callback.answer(groups)
                ),
                methods=["POST"],
            )
        ]
        if settings.vk_mode == "callback"
        else [],
        after_startup=[start],
        before_shutdown=[running.stop],
    )
