"""One mail in, from the SMTP ingress or a mailbox: parsed, its raw source and files kept,
published to `inbound.email` before the server or the mailbox is told it is safe.

A mail nobody can read is kept whole in `deadletter.inbound.email` with the reason and
answered as accepted, so the mails behind it go on. A bounce of one of our replies also
marks that reply failed, with the bounce's reason, through a delivery report naming the
reply's Message-ID (the store resolves it). Only a failed publish raises: the SMTP client
then hears 451 and the mailbox keeps the mail for the next look.
"""

import asyncio
import logging

from channels._adapter.delivery import DeliveryReporter
from channels._adapter.inbound import InboundPublisher
from channels._adapter.intake import Kept, Result, Stored
from channels.email.mime import ParsedMail, parse
from channels.email.normalize import to_inbound
from channels.email.settings import MailAccount
from contracts.messages import Attachment
from services.runtime.deadletter import describe
from services.runtime.files import FileStore, FileTooLarge
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.email")
DEAD_LETTER_BYTES = 900_000  # NATS carries 1 MB a message
BIG = 256 * 1024  # a mail or file above this is parsed or written in a thread, not on the loop


class MailIntake:
    def __init__(
        self,
        publisher: InboundPublisher,
        reports: DeliveryReporter,
        files: FileStore,
        secret: bytes,
    ) -> None:
        self.publisher = publisher
        self.reports = reports
        self.files = files
        self.secret = secret

    async def accept(self, raw: bytes, account: MailAccount, envelope: list[str]) -> Result:
        try:
            mail = await asyncio.to_thread(parse, raw) if len(raw) > BIG else parse(raw)
            raw_ref = (await self._save(raw, "message.eml", "message/rfc822")).ref
            attachments = [
                await self._save(f.data, f.name, f.content_type, f.content_id) for f in mail.files
            ]
            message = to_inbound(mail, account, envelope, self.secret, raw_ref, attachments)
        except Exception as error:  # a parser bug: the mail is kept whole for an operator
            log.exception("a mail to %r could not be read", account.account)
            ERRORS.labels("email", "normalizer_bug").inc()
            await self.publisher.keep(
                "email", account.account, raw, f"unreadable mail: {describe(error)}"
            )
            return Kept(describe(error))
        await self.publisher.publish(message)
        await self._bounced(mail, account)
        return Stored(message)

    async def _kept(self, raw: bytes) -> bytes:
        """What the dead-letter stream holds of an unreadable mail: the mail itself, or, above
        what a bus message may carry, where its file is (if that cannot be written either,
        the SMTP sender hears 451 and keeps the mail)."""
        if len(raw) <= DEAD_LETTER_BYTES:
            return raw
        try:
            saved = await asyncio.to_thread(
                self.files.save, raw, "unreadable.eml", "message/rfc822"
            )
        except FileTooLarge:  # larger than any file we keep: its start, said to be one
            return b"[the first 900,000 bytes of a larger mail]\r\n" + raw[:DEAD_LETTER_BYTES]
        return f"the mail ({len(raw)} bytes) is kept as {saved.ref}".encode()

    async def _save(
        self, data: bytes, name: str, content_type: str, content_id: str | None = None
    ) -> Attachment:
        """Kept by content; a file over the size limit stays a named reference only."""
        try:
            if len(data) > BIG:
                saved = await asyncio.to_thread(self.files.save, data, name, content_type)
            else:  # a few small writes cost less than handing them to a thread
                saved = self.files.save(data, name, content_type)
        except FileTooLarge:
            return Attachment(name=name, content_type=content_type, size=len(data))
        return saved.model_copy(update={"external_id": content_id}) if content_id else saved

    async def _bounced(self, mail: ParsedMail, account: MailAccount) -> None:
        if mail.bounce is None or mail.bounce.original_id is None:
            return
        await self.reports.receipt(
            "email",
            account.account,
            mail.bounce.original_id,
            "failed",
            bounced=f"bounced: {mail.bounce.reason}",
        )
