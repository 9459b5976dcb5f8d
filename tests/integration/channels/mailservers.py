"""Mail servers for the email channel's tests: the customer's own mail server (aiosmtpd,
keeping what it receives), and the desk's email service beside the store on real NATS."""

import contextlib
import email
import json
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.runtime.nats_server import NatsServer
from tests.fullstack import free_port
from tests.integration.processes import ServiceProcess

DESK = "support@desk.test"
DEMO = "demo@desk.test"
CUSTOMER = "anna@customer.test"


class Inbox:
    """The customer's mail server: every mail it accepted, parsed."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.raw: list[bytes] = []  # the same mails as they came over the wire
        self.refuse: str | None = None  # an SMTP answer to give instead of 250

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.refuse:
            return self.refuse
        parsed = email.message_from_bytes(envelope.original_content or b"", policy=default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(parsed)
        self.raw.append(envelope.original_content or b"")
        return "250 OK"


@contextlib.contextmanager
def mail_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback keeping what it accepts, and its port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def customer_server() -> Iterator[tuple[Inbox, int]]:
    with mail_server() as running:
        yield running


@dataclass
class EmailDesk:
    smtp_port: int
    data_dir: Path
    customer: Inbox

    def send(
        self, mail: EmailMessage | bytes, to: list[str] | None = None
    ) -> dict[str, tuple[int, bytes]]:
        """Hands a mail to the desk's SMTP ingress, as the customer's provider would."""
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as client:
            if isinstance(mail, EmailMessage):
                return client.send_message(mail, to_addrs=to)
            return client.sendmail(CUSTOMER, to or [DESK], mail)


def accounts(customer_port: int) -> str:
    smtp = {"host": "127.0.0.1", "port": customer_port, "tls": "none", "timeout": 5}
    return json.dumps(
        [
            {"account": "support", "addresses": [DESK], "name": "Поддержка", "smtp": smtp,
             "signature": "Служба поддержки"},
            {"account": "demo", "addresses": [DEMO]},
        ]
    )  # fmt: skip


@pytest.fixture
def email_desk(
    nats_server: NatsServer, nc: object, data_dir: Path, customer_server: tuple[Inbox, int]
) -> Iterator[EmailDesk]:
    inbox, port = customer_server
    inbox.mails.clear()
    inbox.refuse = None
    smtp_port = free_port()
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    service = ServiceProcess(
        "email", nats_server.url, data_dir,
        RELAYDESK_EMAIL_ACCOUNTS=accounts(port),
        RELAYDESK_EMAIL_SMTP_PORT=str(smtp_port),
        RELAYDESK_EMAIL_MAX_MB="1",
    ).start()  # fmt: skip
    yield EmailDesk(smtp_port, data_dir, inbox)
    service.stop()
    store.stop()
