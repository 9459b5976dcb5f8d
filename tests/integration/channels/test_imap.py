"""The email channel reading a real IMAP mailbox (dovecot on loopback): new mail arrives
through IDLE; mail delivered while the service was down all arrives, once each; a new
UIDVALIDITY re-reads the folder and stores nothing twice."""

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nats.aio.client import Client

from services.runtime.nats_server import NatsServer
from tests.integration.channels.dovecot import PASSWORD, Dovecot, dovecot
from tests.integration.channels.test_telegram import tickets
from tests.integration.processes import ServiceProcess

pytestmark = pytest.mark.integration
__all__ = ["dovecot"]


@dataclass
class ImapDesk:
    user: str
    service: ServiceProcess


@pytest.fixture
def imap_desk(
    nats_server: NatsServer,
    nc: Client,
    data_dir: Path,
    dovecot: Dovecot,
    request: pytest.FixtureRequest,
) -> Iterator[ImapDesk]:
    user = request.node.name[:40].replace("[", "-").replace("]", "")
    imap = {"host": "127.0.0.1", "port": dovecot.port, "tls": "none", "user": user,
            "password": PASSWORD, "poll_seconds": 0.5}  # fmt: skip
    account = {"account": "box", "addresses": ["box@desk.test"], "imap": imap}
    store = ServiceProcess("store", nats_server.url, data_dir).start()
    service = ServiceProcess(
        "email", nats_server.url, data_dir,
        RELAYDESK_EMAIL_ACCOUNTS=json.dumps([account]),
        RELAYDESK_EMAIL_SMTP_PORT="0",
    )  # fmt: skip
    yield ImapDesk(user, service.start())
    service.stop()
    store.stop()


def mail(n: int) -> bytes:
    return (
        f"From: Клиент {n} <c{n}@customer.test>\r\nTo: box@desk.test\r\n"
        f"Subject: Письмо {n}\r\nMessage-ID: <m{n}@customer.test>\r\n"
        "Content-Type: text/plain; charset=koi8-r\r\n\r\n"
    ).encode() + f"Текст письма {n}".encode("koi8-r")


async def messages_when(nc: Client, count: int) -> list[str]:
    """The texts of every stored message, once there are at least `count` tickets."""
    async with asyncio.timeout(30):
        while len(found := await tickets(nc)) < count:
            await asyncio.sleep(0.2)
    return sorted(m.text for t in found for m in t.messages)


async def test_new_mail_in_the_mailbox_becomes_a_ticket(
    imap_desk: ImapDesk, dovecot: Dovecot, nc: Client
) -> None:
    await asyncio.to_thread(dovecot.deliver, imap_desk.user, [mail(1)])

    assert await messages_when(nc, 1) == ["Текст письма 1"]


async def test_fifty_mails_delivered_while_stopped_all_arrive_once(
    imap_desk: ImapDesk, dovecot: Dovecot, nc: Client
) -> None:
    await asyncio.to_thread(dovecot.deliver, imap_desk.user, [mail(0)])
    await messages_when(nc, 1)
    imap_desk.service.stop()

    await asyncio.to_thread(dovecot.deliver, imap_desk.user, [mail(n) for n in range(1, 51)])
    await asyncio.to_thread(imap_desk.service.start)

    texts = await messages_when(nc, 51)
    imap_desk.service.stop()
    await asyncio.to_thread(imap_desk.service.start)
    await asyncio.to_thread(dovecot.deliver, imap_desk.user, [mail(51)])
    again = await messages_when(nc, 52)
    assert texts == sorted(f"Текст письма {n}" for n in range(51))
    assert again == sorted(f"Текст письма {n}" for n in range(52))


async def test_a_new_uidvalidity_stores_nothing_twice(
    imap_desk: ImapDesk, dovecot: Dovecot, nc: Client
) -> None:
    await asyncio.to_thread(dovecot.deliver, imap_desk.user, [mail(n) for n in range(3)])
    await messages_when(nc, 3)
    imap_desk.service.stop()
    before = await asyncio.to_thread(dovecot.uidvalidity, imap_desk.user)

    await asyncio.to_thread(dovecot.forget_uids, imap_desk.user)
    await asyncio.sleep(1.1)  # UIDVALIDITY is dovecot's clock in seconds
    after = await asyncio.to_thread(dovecot.uidvalidity, imap_desk.user)
    await asyncio.to_thread(imap_desk.service.start)
    await asyncio.to_thread(dovecot.deliver, imap_desk.user, [mail(3)])

    assert after != before
    assert await messages_when(nc, 4) == sorted(f"Текст письма {n}" for n in range(4))
