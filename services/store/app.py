"""The store service wiring: batch consumers of inbound messages and delivery reports,
command and query responders, and the outbox relay."""

import asyncio
import logging
from collections.abc import Sequence

from faststream.middlewares import ExceptionMiddleware
from faststream.nats import NatsMessage, NatsRouter
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError
from starlette.applications import Starlette

from contracts import commands as c
from contracts import directory as d
from contracts import queries as q
from contracts import streams, subjects
from contracts.events import Event
from contracts.messages import DeliveryReport, InboundMessage, OutboundMessage
from services.runtime.broker import make_broker
from services.runtime.consumer import (
    consume_batches,
    dead_publisher,
    process_batch,
    report_lag,
)
from services.runtime.deadletter import describe
from services.runtime.http import service_app
from services.runtime.metrics import MESSAGES, PROCESSING
from services.runtime.workers import Workers
from services.store import outbox
from services.store.backend import make_repository, preflight
from services.store.queries import answer, answer_directory
from services.store.records import OutboxEntry
from services.store.settings import StoreSettings
from services.store.writer import Writer

log = logging.getLogger("relaydesk.store")
IN_FLIGHT = 16  # commands and queries handled at once
PUBLISH_ACK_TIMEOUT = 5.0  # for JetStream to ack an outbox batch; a leader election takes 2-4 s


def create_app(settings: StoreSettings | None = None) -> Starlette:
    settings = settings or StoreSettings()
    broker = make_broker(settings, "store")
    # A body that does not validate is answered with a typed error, never left to time out.
    commands = NatsRouter(
        middlewares=[ExceptionMiddleware(publish_handlers={ValidationError: _invalid_command})]
    )
    queries = NatsRouter(
        middlewares=[ExceptionMiddleware(publish_handlers={ValidationError: _invalid_query})]
    )
    repo = make_repository(settings)

    context: JetStreamContext | None = None

    def jetstream() -> JetStreamContext:
        # One context: publish_async keeps its reply subscription and futures on it.
        nonlocal context
        if context is None:
            context = broker.connection.jetstream(publish_async_max_pending=4000)
        return context

    async def publish(entries: Sequence[OutboxEntry]) -> None:
        context = jetstream()
        acks = [
            await context.publish_async(e.subject, e.payload, headers={streams.MSG_ID: e.msg_id})
            for e in entries
        ]
        # nats-py's publish_async futures have no timeout of their own: when the stream's
        # leader dies with a node of the cluster, its acks never come and the batch would wait
        # forever, holding every message behind it (seen in tests/chaos/test_nats_cluster.py).
        # Given up on, the entries stay in the outbox for the sweep; JetStream drops repeats
        # by Nats-Msg-Id. Cancelled futures give their publish_async permits back.
        try:
            await asyncio.wait_for(asyncio.gather(*acks), PUBLISH_ACK_TIMEOUT)
        except TimeoutError:
            for ack in acks:
                ack.cancel()
            raise TimeoutError(
                f"no JetStream ack for {len(entries)} outbox entries in {PUBLISH_ACK_TIMEOUT}s"
            ) from None

    async def dead(subject: str, data: bytes, headers: dict[str, str]) -> None:
        await dead_publisher(jetstream())(subject, data, headers)

    writer = Writer(repo, publish)

    async def on_inbound_messages(batch: list[Msg]) -> None:
        with PROCESSING.labels("store", "ingest_batch").time():
            await process_batch(
                batch,
                InboundMessage.model_validate_json,
                writer.ingest,
                dead,
                streams.STORE_INBOUND,
            )
        for raw in batch:
            MESSAGES.labels("store", raw.subject.rsplit(".", 1)[-1], "in").inc()

    async def on_delivery_reports(batch: list[Msg]) -> None:
        await process_batch(
            batch,
            DeliveryReport.model_validate_json,
            writer.deliveries,
            dead,
            streams.STORE_DELIVERY,
        )

    # Handled side by side: writes still take turns at the database, but decoding, replying
    # and awaiting the event publish of one command overlap with the next one's write.
    @commands.subscriber(
        subjects.COMMANDS_ALL, queue="store", title="store/commands", max_workers=IN_FLIGHT
    )
    async def on_command(command: c.Command) -> c.CommandOk | c.CommandError:
        return await execute(command)

    async def execute(command: c.Command) -> c.CommandOk | c.CommandError:
        with PROCESSING.labels("store", f"command_{command.command}").time():
            try:
                return await writer.execute(command)
            except Exception as error:
                log.exception("command %s failed", command.command)
                return c.CommandError(code="internal", message=type(error).__name__)

    @commands.subscriber(subjects.COMMAND_BATCH, queue="store", title="store/command-batch")
    async def on_command_batch(batch: c.CommandBatch) -> c.CommandBatchReply:
        with PROCESSING.labels("store", "command_batch").time():
            try:
                return c.CommandBatchReply(replies=await writer.execute_many(batch.commands))
            except Exception:
                log.exception("command batch failed; running its commands one by one")
                return c.CommandBatchReply(replies=[await execute(cmd) for cmd in batch.commands])

    @queries.subscriber(
        subjects.QUERIES_ALL, queue="store", title="store/queries", max_workers=IN_FLIGHT
    )
    async def on_query(
        query: q.ListTickets | q.GetTicket | q.QueueCounts | q.GetAudit, msg: NatsMessage
    ) -> q.Answer | bytes:
        try:
            return await answer(repo, msg.raw_message.subject.rsplit(".", 1)[-1], query)
        except Exception as error:
            log.exception("query failed")
            return q.QueryError(code="internal", message=type(error).__name__)

    @commands.subscriber(
        subjects.DIRECTORY_COMMANDS_ALL, queue="store", title="store/directory-commands"
    )
    async def on_directory_command(command: d.DirectoryCommand) -> c.CommandOk | c.CommandError:
        try:
            return await writer.execute(command)
        except Exception as error:
            log.exception("directory command %s failed", command.command)
            return c.CommandError(code="internal", message=type(error).__name__)

    @queries.subscriber(
        subjects.DIRECTORY_QUERIES_ALL, queue="store", title="store/directory-queries"
    )
    async def on_directory_query(
        query: d.GetDirectory | d.GetCredentials, msg: NatsMessage
    ) -> d.Directory | d.Credentials | q.QueryError:
        name = msg.raw_message.subject.rsplit(".", 1)[-1]
        try:
            return await answer_directory(repo, name, query)
        except Exception as error:
            log.exception("directory query failed")
            return q.QueryError(code="internal", message=type(error).__name__)

    # What the store publishes, declared for the AsyncAPI document. The outbox relay sends
    # through the JetStream context itself: each entry needs its own Nats-Msg-Id.
    broker.publisher(subjects.EVENTS_ALL, schema=Event, title="store/events")
    broker.publisher(subjects.OUTBOUND_ALL, schema=OutboundMessage, title="store/outbound")

    broker.include_routers(commands, queries)
    workers = Workers()

    async def start_workers() -> None:
        batch = settings.store_batch_size
        workers.start(
            consume_batches(jetstream(), streams.STORE_INBOUND, on_inbound_messages, batch),
            consume_batches(jetstream(), streams.STORE_DELIVERY, on_delivery_reports, batch),
            outbox.run_relay(repo, publish, settings.store_outbox_interval, writer.settle),
            report_lag(jetstream(), [streams.STORE_INBOUND, streams.STORE_DELIVERY]),
        )

    app = service_app(
        "store",
        broker,
        settings,
        settings.store_port,
        on_startup=[repo.setup],
        after_startup=[start_workers],
        before_shutdown=[workers.stop],
        on_shutdown=[repo.close],
    )
    app.state.preflight = [lambda: preflight(settings)]
    app.state.repository = repo
    return app


def _invalid_command(error: ValidationError) -> c.CommandError:
    return c.CommandError(code="invalid", message=describe(error), field=_field(error))


def _invalid_query(error: ValidationError) -> q.QueryError:
    return q.QueryError(code="invalid", message=describe(error))


def _field(error: ValidationError) -> str | None:
    errors = error.errors()
    return ".".join(str(p) for p in errors[0]["loc"]) if errors else None
