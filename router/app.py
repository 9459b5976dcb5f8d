"""The router service wiring: ticket events in, routing decisions out as store commands."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import yaml
from nats.aio.msg import Msg
from starlette.applications import Starlette

from contracts import streams, subjects
from contracts.directory import Menu, RoutingRule
from contracts.events import Event, parse_event
from router.dispatch import Dispatcher
from router.presence import Presence
from router.rules import SEED_RULES
from router.settings import RouterSettings
from services.runtime.broker import make_broker
from services.runtime.consumer import consume_batches, dead_publisher, process_batch, report_lag
from services.runtime.http import service_app
from services.runtime.metrics import ERRORS, MESSAGES, PROCESSING
from services.runtime.store_client import StoreClient, StoreUnavailable
from services.runtime.workers import Workers

log = logging.getLogger("relaydesk.router")


def initial_rules(settings: RouterSettings) -> list[RoutingRule]:
    """The bootstrap file's rules, or the built-in outage-word rule."""
    if settings.router_rules_file is None:
        return list(SEED_RULES)
    data = yaml.safe_load(settings.router_rules_file.read_text(encoding="utf-8")) or []
    return [RoutingRule.model_validate(item) for item in data]


def initial_menus(settings: RouterSettings) -> list[Menu]:
    """The bootstrap file's bot menus (none without one)."""
    if settings.menus_file is None:
        return []
    data = yaml.safe_load(settings.menus_file.read_text(encoding="utf-8")) or []
    return [Menu.model_validate(item) for item in data]


def create_app(settings: RouterSettings | None = None) -> Starlette:
    settings = settings or RouterSettings()
    broker = make_broker(settings, "router")
    workers = Workers()
    closing: list[Callable[[], Awaitable[None]]] = []

    async def sweep_forever(dispatcher: Dispatcher) -> None:
        try:
            rules = initial_rules(settings)
        except Exception:  # a broken rules file is the operator's to fix, not a store outage
            log.exception("routing rules in %s not loaded", settings.router_rules_file)
            ERRORS.labels("router", "rules_file").inc()
            rules = []
        try:
            menus = initial_menus(settings)
        except Exception:
            log.exception("bot menus in %s not loaded", settings.menus_file)
            ERRORS.labels("router", "menus_file").inc()
            menus = []
        # The store may start after the router (or be restarting): wait for it, don't crash.
        while True:
            try:
                await dispatcher.seed_rules(rules)
                await dispatcher.seed_menus(menus)
                break
            except StoreUnavailable as error:
                log.warning("store not answering yet (%s); retrying", type(error).__name__)
                await asyncio.sleep(1)
            except Exception:
                log.exception("seeding the routing rules failed; retrying")
                ERRORS.labels("router", "seed_rules").inc()
                await asyncio.sleep(5)
        while True:
            try:
                await dispatcher.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sweep failed; trying again")
            await asyncio.sleep(settings.router_sweep_interval)

    async def start() -> None:
        js = broker.connection.jetstream()
        presence = await Presence.open(js, settings.router_presence_ttl)
        await presence.watch()
        closing.append(presence.close)
        dispatcher = Dispatcher(
            StoreClient(broker.connection), presence, settings.router_default_department
        )

        dead = dead_publisher(js)

        async def on_ticket_events(batch: list[Msg]) -> None:
            async def decide(events: list[Event]) -> None:
                await dispatcher.on_events(events)

            with PROCESSING.labels("router", "decide_batch").time():
                await process_batch(batch, parse_event, decide, dead, streams.ROUTER_EVENTS)
            MESSAGES.labels("router", "", "in").inc(len(batch))

        app.state.dispatcher = dispatcher

        async def on_directory_changed(msg: Msg) -> None:
            # Every replica, not one of a group: each keeps its own copy of the rules.
            workers.start(dispatcher.refresh())

        await broker.connection.subscribe(
            subjects.event("directory.changed"), cb=on_directory_changed
        )
        workers.start(
            sweep_forever(dispatcher),
            consume_batches(
                js, streams.ROUTER_EVENTS, on_ticket_events, settings.router_batch_size
            ),
            report_lag(js, [streams.ROUTER_EVENTS]),
        )

    async def stop() -> None:
        await workers.stop()
        for close in closing:
            await close()

    app = service_app(
        "router",
        broker,
        settings,
        settings.router_port,
        after_startup=[start],
        before_shutdown=[stop],
    )
    return app
