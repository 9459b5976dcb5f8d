"""The store service wiring: batch consumers of inbound messages and delivery reports,
command and query responders, and the outbox relay."""

import asyncio
import contextlib
import logging
from typing import Any

from faststream.nats import NatsMessage, NatsRouter
from nats.aio.msg import Msg
from pydantic import ValidationError
from starlette.applications import Starlette

from contracts import commands as c
from contracts import streams, subjects
from contracts.messages import DeliveryReport, InboundMessage
from services.runtime.batch import consume_batches, process_batch
from services.runtime.broker import make_broker
from services.runtime.deadletter import describe
from services.runtime.http import service_app
from services.runtime.metrics import MESSAGES, PROCESSING
from services.store import outbox
from services.store.backend import make_repository, preflight
from services.store.queries import answer
from services.store.settings import StoreSettings
from services.store.writer import Writer

log = logging.getLogger("relaydesk.store")


def create_app(settings: StoreSettings | None = None) -> Starlette:
    settings = settings or StoreSettings()
    broker = make_broker(settings, "store")
    router = NatsRouter()
    repo = make_repository(settings)

    async def publish(subject: str, data: bytes, msg_id: str) -> None:
        await broker.connection.jetstream().publish(subject, data, headers={streams.MSG_ID: msg_id})

    async def dead(subject: str, data: bytes, headers: dict[str, str]) -> None:
        await broker.connection.jetstream().publish(subject, data, headers=headers)

    writer = Writer(repo, publish)

    async def on_inbound_messages(batch: list[Msg]) -> None:
        with PROCESSING.labels("store", "ingest_batch").time():
            await process_batch(batch, InboundMessage.model_validate_json, writer.ingest, dead)
        for raw in batch:
            MESSAGES.labels("store", raw.subject.rsplit(".", 1)[-1], "in").inc()

    async def on_delivery_reports(batch: list[Msg]) -> None:
        await process_batch(batch, DeliveryReport.model_validate_json, writer.deliveries, dead)

    @router.subscriber(subjects.COMMANDS_ALL, queue="store", title="store/commands")
    async def on_command(body: dict[str, Any], msg: NatsMessage) -> c.CommandOk | c.CommandError:
        body.setdefault("command", msg.raw_message.subject.rsplit(".", 1)[-1])
        try:
            command = c.COMMAND.validate_python(body)
        except ValidationError as error:
            return c.CommandError(code="invalid", message=describe(error), field=_field(error))
        with PROCESSING.labels("store", f"command_{command.command}").time():
            try:
                return await writer.execute(command)
            except Exception as error:
                log.exception("command %s failed", command.command)
                return c.CommandError(code="internal", message=type(error).__name__)

    @router.subscriber(subjects.QUERIES_ALL, queue="store", title="store/queries")
    async def on_query(body: dict[str, Any], msg: NatsMessage) -> Any:
        name = msg.raw_message.subject.rsplit(".", 1)[-1]
        return await answer(repo, name, body)

    broker.include_router(router)
    tasks: list[asyncio.Task[None]] = []

    async def start_workers() -> None:
        js = broker.connection.jetstream()
        batch = settings.store_batch_size
        tasks.extend(
            asyncio.create_task(job)
            for job in (
                consume_batches(js, streams.STORE_INBOUND, on_inbound_messages, batch),
                consume_batches(js, streams.STORE_DELIVERY, on_delivery_reports, batch),
                outbox.run_relay(repo, publish, settings.store_outbox_interval),
            )
        )

    async def stop_workers() -> None:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = service_app(
        "store",
        broker,
        settings,
        settings.store_port,
        on_startup=[repo.setup],
        after_startup=[start_workers],
        before_shutdown=[stop_workers],
        on_shutdown=[repo.close],
    )
    app.state.preflight = [lambda: preflight(settings)]
    app.state.repository = repo
    return app


def _field(error: ValidationError) -> str | None:
    errors = error.errors()
    return ".".join(str(p) for p in errors[0]["loc"]) if errors else None
