"""The sign-in mail: a short Russian and English text with the link, sent through SMTP, or
written as an `.eml` file under `<data dir>/mail/portal/` when no server is set (the demo,
like the email channel's replies)."""

import asyncio
import email.policy
import os
import tempfile
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aiosmtplib

from services.portal.settings import PortalSettings

TEXT = """Здравствуйте!

Чтобы посмотреть ваши обращения, откройте ссылку (она действует {minutes} мин. и только один раз):
{link}

Hello! To see your requests, open the link above (valid for {minutes} minutes, once).

Если вы не просили эту ссылку, просто удалите письмо. / If you did not ask for it, delete this mail.
"""


# Headers set raw (`set_raw`) go out as written: a `List-Unsubscribe` URL is longer than a
# line, and refolding it made an RFC 2047 encoded word no mail client reads as a URL. So the
# mail is flattened here, not by aiosmtplib (which refolds with the SMTP policy).
WIRE = email.policy.SMTP.clone(refold_source="none")


def compose(settings: PortalSettings, to: str, link: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.portal_mail_from
    mail["To"] = to
    mail["Subject"] = "Ваши обращения / Your requests"
    mail["Message-ID"] = make_msgid(domain=settings.portal_mail_from.partition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # no desk answers it (RFC 3834)
    mail.set_content(TEXT.format(link=link, minutes=settings.portal_link_minutes))
    return mail


def outbox(settings: PortalSettings) -> Path:
    return settings.data_dir / "mail" / "portal"


async def send(settings: PortalSettings, mail: EmailMessage) -> None:
    data = mail.as_bytes(policy=WIRE)
    if settings.portal_smtp_host is None:
        await asyncio.to_thread(_write, outbox(settings), data)
        return
    await aiosmtplib.send(
        data,
        sender=mail["From"],
        recipients=[mail["To"]],
        hostname=settings.portal_smtp_host,
        port=settings.portal_smtp_port,
    )


def _write(folder: Path, data: bytes) -> None:
    """Written aside, then renamed: a reader of the folder never sees half a mail."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(temporary, temporary.removesuffix(".tmp") + ".eml")
