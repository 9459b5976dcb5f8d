"""A reply handed to the account's SMTP server with aiosmtplib, or, for an account without
one (the demo), written as an `.eml` file under `<data dir>/mail/outbox/<account>/`; the
server's answers mapped to what the outbound worker does next (4xx and connection trouble:
retry with backoff; 5xx: failed with the server's own words, which the agent sees)."""

import asyncio
import os
import tempfile
from pathlib import Path

import aiosmtplib

from channels._adapter.capabilities import Capabilities
from channels._adapter.outcome import Failed, Outcome, Retry, Sent
from channels.email.settings import MailAccount, SmtpConfig

CAPABILITIES = Capabilities()
"""A mail has no length limit worth cutting at and carries its files itself: one part."""


def outbox_dir(data_dir: Path, account: str) -> Path:
    return data_dir / "mail" / "outbox" / account


def write_eml(folder: Path, name: str, data: bytes) -> Path:
    """Written aside, then renamed: a reader of the outbox never sees half a mail."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.eml"
    fd, temporary = tempfile.mkstemp(dir=folder)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(temporary, target)
    return target


async def submit(
    account: MailAccount, data: bytes, recipients: list[str], message_id: str, data_dir: Path
) -> Outcome:
    if account.smtp is None:
        path = await asyncio.to_thread(
            write_eml, outbox_dir(data_dir, account.account), message_id.split("@")[0], data
        )
        return Sent(message_id) if path else Failed("not written")
    return await _smtp(account.smtp, account.address, data, recipients, message_id)


async def _smtp(
    smtp: SmtpConfig, sender: str, data: bytes, recipients: list[str], message_id: str
) -> Outcome:
    try:
        await aiosmtplib.send(
            data,
            sender=sender,
            recipients=recipients,
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.user,
            password=smtp.password.get_secret_value() if smtp.password else None,
            use_tls=smtp.tls == "ssl",
            start_tls=smtp.tls == "starttls",
            timeout=smtp.timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        refusals = [f"{r.recipient}: {r.code} {r.message}" for r in error.recipients]
        temporary = all(400 <= r.code < 500 for r in error.recipients)
        reason = "recipient refused: " + "; ".join(refusals)
        return Retry(reason) if temporary else Failed(reason)
    except aiosmtplib.SMTPResponseException as error:
        reason = f"the mail server answered {error.code} {error.message}"
        return Retry(reason) if 400 <= error.code < 500 else Failed(reason)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        return Retry(f"mail server unreachable: {error}")
    return Sent(message_id)
