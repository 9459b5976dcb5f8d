"""The SMTP ingress (aiosmtpd), for MX records or forwarding rules pointing at the desk.

It takes mail only for the configured addresses and their plus-addresses (550 for any
other), answers 250 only once the mail is in JetStream and 451 when it cannot be put there
(the sending server keeps it and tries again), and refuses a mail over the size limit with
552 before reading it all. It runs on the service's own event loop beside everything else.
"""

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.email.intake import MailIntake
from channels.email.settings import MailAccount
from channels.email.tokens import base_address
from services.runtime.deadletter import describe
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.email")


class Handler:
    def __init__(self, accounts: list[MailAccount], intake: MailIntake) -> None:
        self.by_address = {a: account for account in accounts for a in account.addresses}
        self.intake = intake

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if base_address(address) not in self.by_address:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        accounts = {self.by_address[base_address(r)].account: r for r in envelope.rcpt_tos}
        try:
            for recipient in accounts.values():
                account = self.by_address[base_address(recipient)]
                await self.intake.accept(raw, account, [r.lower() for r in envelope.rcpt_tos])
        except Exception as error:  # NATS away: the sender's server keeps it and retries
            ERRORS.labels("email", "ingress_publish").inc()
            log.warning("mail from %s not accepted yet: %s", envelope.mail_from, describe(error))
            return "451 4.3.0 Cannot store the mail right now, try again later"
        return "250 OK: stored"


async def serve(
    handler: Handler, host: str, port: int, max_bytes: int, hostname: str
) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            handler,
            data_size_limit=max_bytes,
            enable_SMTPUTF8=True,
            hostname=hostname,
            ident="Relay Desk",
            timeout=60,
            loop=loop,
        ),
        host=host,
        port=port,
    )
