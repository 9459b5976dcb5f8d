"""The email service: the SMTP ingress and the IMAP mailboxes in, replies out over SMTP (or
as `.eml` files for an account with none), one process for every mailbox."""

import asyncio
import contextlib

from starlette.applications import Starlette

from channels._adapter.bus import declare_adapter
from channels._adapter.capabilities import Part
from channels._adapter.delivery import DeliveryReporter
from channels._adapter.inbound import InboundPublisher
from channels._adapter.outbound import OutboundWorker
from channels._adapter.outcome import Failed, Outcome, Retry
from channels._adapter.running import Running
from channels.email import imap, ingress, send
from channels.email.compose import compose, message_id
from channels.email.intake import MailIntake
from channels.email.settings import EmailSettings
from contracts.messages import OutboundMessage
from services.bot import rating
from services.runtime.broker import make_broker
from services.runtime.files import FileStore
from services.runtime.http import service_app
from services.runtime.kv import open_bucket
from services.runtime.private import rating_key, stored_secret


def create_app(settings: EmailSettings | None = None) -> Starlette:
    settings = settings or EmailSettings()
    broker = make_broker(settings, "email")
    declare_adapter(broker, "email")
    accounts = {a.account: a for a in settings.accounts}
    files = FileStore.under(settings.data_dir, settings.email_max_mb)
    secret = stored_secret(settings.data_dir / "email-secret").encode()
    link_key = rating_key(settings)
    rating_base = settings.email_rating_url.rstrip("/")

    def rating_link(ticket_id: str, score: int) -> str:
        return f"{rating_base}/rate/{rating.sign(link_key, ticket_id, score)}"

    running = Running()
    servers: list[asyncio.Server] = []

    async def deliver(out: OutboundMessage, part: Part) -> Outcome:
        account = accounts.get(out.account)
        if account is None:
            return Retry(f"no mailbox configured for account {out.account!r}", after=30.0)
        attached = []
        for attachment in out.attachments:
            data = files.read(attachment.ref)
            if data is None:
                return Failed(f"attachment not found: {attachment.name}")
            attached.append((attachment.name, attachment.content_type, data))
        try:
            mail = compose(out, account, secret, settings.email_hostname, attached, rating_link)
        except ValueError as error:
            return Failed(str(error))
        recipients = [r for r in [out.recipient, *(out.cc if account.copy_cc else [])] if r]
        raw = mail.as_bytes()
        return await send.submit(
            account, raw, recipients, message_id(out, settings.email_hostname), settings.data_dir
        )

    async def start() -> None:
        js = broker.connection.jetstream()
        intake = MailIntake(InboundPublisher(js), DeliveryReporter(js), files, secret)
        worker = OutboundWorker(js, "email", deliver, send.CAPABILITIES)
        await worker.start()
        running.outbound = worker
        if settings.email_smtp_port:
            handler = ingress.Handler(list(accounts.values()), intake)
            servers.append(
                await ingress.serve(
                    handler,
                    settings.host,
                    settings.email_smtp_port,
                    settings.email_max_mb * 1_000_000,
                    settings.email_hostname,
                )
            )
            addresses = ", ".join(a for account in accounts.values() for a in account.addresses)
            print(  # what `make run` tells a newcomer, like the HTTP address
                f"relaydesk: email takes mail for {addresses} on "
                f"smtp://{settings.host}:{settings.email_smtp_port}",
                flush=True,
            )
        progress = await open_bucket(js, imap.PROGRESS)
        for account in accounts.values():
            if account.imap is not None:
                reader = imap.Mailbox(account, account.imap, intake, progress)
                running.tasks.append(asyncio.create_task(reader.run()))

    async def stop() -> None:
        for server in servers:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
        await running.stop()

    return service_app(
        "email",
        broker,
        settings,
        settings.email_port,
        after_startup=[start],
        before_shutdown=[stop],
    )
