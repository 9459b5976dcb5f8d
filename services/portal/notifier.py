"""The portal's notices, sent: consumers of the store's events (`portal-messages`,
`portal-changes`) for agents' replies and resolved tickets, and a loop that sends the weekly
summaries when their hour comes. `notices.py` decides what and to whom; this reads, claims
and mails.

Two consumers bring only `events.message.created` and `events.ticket.changed`; of the
messages, only outbound ones are parsed, so the customers' own traffic costs next to
nothing here. A mail that fails is given back with the consumer's backoff and dead-lettered
after its attempts, so the mail server's outage delays notices without losing them and
without holding the ones behind.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import events as ev
from contracts import queries as q
from contracts import subjects
from contracts.streams import ConsumerSpec
from services.portal import links, mail, notices
from services.portal.prefs import Preferences, key_of
from services.portal.settings import PortalSettings
from services.runtime.consumer import dead_publisher, give_back
from services.runtime.metrics import ERRORS, MESSAGES
from services.runtime.store_client import StoreClient

CREATED = subjects.event("message.created")
OUTBOUND = b'"direction":"outbound"'  # as pydantic writes it: customers' messages go unparsed
UNSUBSCRIBE_DAYS = 365
log = logging.getLogger("relaydesk.portal.notices")


class Notifier:
    def __init__(
        self, settings: PortalSettings, key: bytes, nc: Client, prefs: Preferences
    ) -> None:
        self.settings = settings
        self.key = key
        self.nc = nc
        self.prefs = prefs
        self.failures = ERRORS.labels("portal", "notice_mail")
        self.portal = f"{settings.portal_url.rstrip('/')}/portal/"

    def consumer(self, spec: ConsumerSpec) -> Callable[[list[Msg]], Awaitable[None]]:
        """The batch handler of one of the portal's consumers (`streams.PORTAL_*`)."""

        async def handle(batch: list[Msg]) -> None:
            await self.on_events(spec, batch)

        return handle

    async def on_events(self, spec: ConsumerSpec, batch: list[Msg]) -> None:
        dead = dead_publisher(self.nc.jetstream())
        for msg in batch:
            if msg.subject != CREATED or OUTBOUND in msg.data:
                try:
                    event = ev.parse_event(msg.data)
                except ValueError:  # not an event we can read: kept in the stream, skipped here
                    log.warning("unreadable event at seq %s", msg.metadata.sequence.stream)
                    ERRORS.labels("portal", "unreadable_event").inc()
                    await msg.ack()
                    continue
                try:
                    await self.notify(event)
                except Exception as error:
                    self.failures.inc()
                    log.warning("notice not sent (%s); tried again later", type(error).__name__)
                    await give_back(msg, error, spec, dead)
                    continue
            await msg.ack()

    async def notify(self, event: ev.Event) -> None:
        topic = notices.topic_of(event)
        if topic is None or not isinstance(event, ev.MessageCreated | ev.TicketChanged):
            return
        detail = await StoreClient(self.nc).ticket(event.ticket.id, None, messages=False)
        address = notices.address_of(detail.contact)
        if address is None or not (await self.prefs.get(address)).wants(topic):
            return
        if isinstance(event, ev.MessageCreated):
            subject, body = notices.reply_text(detail.ticket, event.message.text, self.portal)
        else:
            subject, body = notices.resolved_text(detail.ticket, self.portal)
        await self.send_once(f"e.{event.id}", address, topic, subject, body)

    async def summaries(self) -> None:
        """Forever: the weekly summaries due, then a pause."""
        while True:
            try:
                await self.send_summaries(datetime.now(UTC))
            except Exception:
                log.exception("weekly summaries failed this round")
            await asyncio.sleep(self.settings.portal_summary_check_seconds)

    async def send_summaries(self, now: datetime) -> None:
        s = self.settings
        slot = notices.last_slot(now, s.portal_summary_weekday, s.portal_summary_hour)
        store = StoreClient(self.nc)
        async for prefs in self.prefs.everyone():
            notice = f"w.{key_of(prefs.email)}.{slot:%Y%m%d%H}"
            if not notices.summary_due(prefs, slot) or await self.prefs.was_sent(notice):
                continue
            query = q.ListTickets(contact_email=prefs.email, status=["open", "pending"], limit=100)
            found = await store.page(query)
            if not found.items:  # nothing open: nothing to say this week
                await self.prefs.claim(notice)
            else:
                subject, body = notices.summary_text(found.items, self.portal)
                try:
                    await self.send_once(notice, prefs.email, "weekly", subject, body)
                except Exception as error:  # this address waits for the next round
                    self.failures.inc()
                    log.warning("weekly summary not sent: %s", type(error).__name__)

    async def send_once(
        self, notice: str, to: str, topic: notices.Topic, subject: str, body: str
    ) -> None:
        if not await self.prefs.claim(notice):
            return
        letter = notices.compose(
            self.settings.portal_mail_from, to, topic, subject, body, self.unsubscribe(to, topic)
        )
        try:
            await mail.send(self.settings, letter)
        except Exception:
            await self.prefs.release(notice)
            raise
        MESSAGES.labels("portal", "email", "out").inc()

    def unsubscribe(self, email: str, topic: notices.Topic) -> tuple[str, str]:
        token = links.issue(
            self.key, "unsubscribe", email, time.time(), UNSUBSCRIBE_DAYS * 86400, topic
        )
        base = self.settings.portal_url.rstrip("/")
        return f"{base}/portal/#unsubscribe={token}", f"{base}/portal/api/unsubscribe?token={token}"
