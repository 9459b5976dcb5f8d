"""The production NATS config (deploy/nats/relaydesk.conf) on the real nats-server: it is
valid, and a channel adapter's user can do its own work and nothing that leaks the desk."""

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.msg import Msg

from channels._adapter.capabilities import Part
from channels._adapter.outbound import OutboundWorker
from channels._adapter.outcome import Outcome, Sent
from contracts import streams, subjects
from contracts.messages import OutboundMessage
from services.portal.notices import Prefs
from services.portal.prefs import Preferences
from services.runtime.broker import ensure_streams
from services.runtime.consumer import consume_batches
from services.runtime.nats_server import server_binary

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).parents[2] / "deploy" / "nats" / "relaydesk.conf"
USERS = (
    "STORE", "ROUTER", "REPORTS", "PORTAL", "INBOX", "TELEGRAM", "WEBCHAT", "EMAIL", "VK", "VIBER"
)  # fmt: skip
PASSWORDS = {f"RELAYDESK_NATS_{s}_PASSWORD": f"pw-{s.lower()}" for s in USERS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    cmd = [str(server_binary()), "-c", str(CONFIG), "-a", "127.0.0.1", "-p", str(port),
           "-m", str(free_port()), "-sd", str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(cmd, env=PASSWORDS, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            process.poll()
            if process.returncode is not None:
                raise RuntimeError((process.stderr.read() if process.stderr else b"").decode())
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def test_the_config_is_valid() -> None:
    checked = subprocess.run(
        [str(server_binary()), "-t", "-c", str(CONFIG)], env=PASSWORDS, capture_output=True
    )
    assert checked.returncode == 0, checked.stderr


async def violations(
    server: int,
    user: str,
    allowed: list[tuple[str, bytes]],
    refused: list[tuple[str, bytes]],
    refused_subscriptions: tuple[str, ...] = (),
) -> tuple[list[str], str]:
    """What the server reported when `user` published `allowed`, and (lowercased, joined)
    when it then published `refused` and subscribed to `refused_subscriptions`."""
    errors: list[str] = []

    async def noted(error: Exception) -> None:
        errors.append(str(error))

    client = await nats.connect(f"nats://{user}:pw-{user}@127.0.0.1:{server}", error_cb=noted)
    for subject, data in allowed:
        await client.publish(subject, data)
    await client.flush()
    during_allowed = list(errors)
    for subject, data in refused:
        await client.publish(subject, data)
    for subject in refused_subscriptions:
        await client.subscribe(subject)
    async with asyncio.timeout(5):
        while len(errors) < len(refused) + len(refused_subscriptions):
            await client.flush()
            await asyncio.sleep(0.05)
    await client.close()
    return during_allowed, " ".join(errors).lower()


async def test_an_adapter_publishes_its_own_channel_and_cannot_read_the_directory(
    server: int,
) -> None:
    allowed, joined = await violations(
        server,
        "telegram",
        [("inbound.telegram", b"{}")],
        [("queries.directory.credentials", b'{"email": "admin@desk"}'), ("inbound.vk", b"{}")],
        refused_subscriptions=("commands.ticket.reply",),
    )

    assert allowed == []
    assert "queries.directory.credentials" in joined and "inbound.vk" in joined
    assert "commands.ticket.reply" in joined and "permissions violation" in joined


async def test_an_adapter_can_hold_its_outbound_partitions_and_deliver(server: int) -> None:
    store = await nats.connect(f"nats://store:pw-store@127.0.0.1:{server}")
    await ensure_streams(store.jetstream())
    adapter = await nats.connect(f"nats://telegram:pw-telegram@127.0.0.1:{server}")
    sent: list[str] = []

    async def deliver(out: OutboundMessage, part: Part) -> Outcome:
        sent.append(out.text)
        return Sent("1")

    worker = OutboundWorker(adapter.jetstream(), "telegram", deliver)
    await worker.start()
    out = OutboundMessage(
        ticket_id="t", message_id="m", channel="telegram", account="bot", thread_key="42",
        text="ответ",
    )  # fmt: skip
    subject = subjects.outbound_chat("telegram", "bot", "42", streams.OUTBOUND_PARTITIONS)
    await store.jetstream().publish(subject, out.to_bytes())
    async with asyncio.timeout(15):  # claims are taken one by one: wait for all of them too
        while not sent or len(worker.partitions) < streams.OUTBOUND_PARTITIONS:
            await asyncio.sleep(0.05)
    held = len(worker.partitions)
    await worker.stop()
    await adapter.close()
    await store.close()

    assert sent == ["ответ"] and held == streams.OUTBOUND_PARTITIONS


async def test_the_portal_reads_tickets_and_answers_on_any_channel_but_commands_nothing(
    server: int,
) -> None:
    allowed_subjects = ("inbound.vk", "inbound.email", "queries.ticket.get", "queries.ticket.list")
    refused_subjects = ("commands.ticket.reply", "queries.directory.credentials", "events.ticket.x")

    allowed_errors, joined = await violations(
        server,
        "portal",
        [(s, b"{}") for s in allowed_subjects],
        [(s, b"{}") for s in refused_subjects],
    )

    assert allowed_errors == []
    assert all(s in joined for s in ("commands.ticket.reply", "credentials", "events.ticket.x"))


async def test_the_portal_keeps_its_choices_and_reads_events_and_the_inbox_asks_it_for_links(
    server: int,
) -> None:
    errors: list[str] = []

    async def noted(error: Exception) -> None:
        errors.append(str(error))

    store = await nats.connect(f"nats://store:pw-store@127.0.0.1:{server}")
    await ensure_streams(store.jetstream())
    portal = await nats.connect(f"nats://portal:pw-portal@127.0.0.1:{server}", error_cb=noted)
    inbox = await nats.connect(f"nats://inbox:pw-inbox@127.0.0.1:{server}", error_cb=noted)
    js = portal.jetstream()
    prefs = await Preferences.open(js)
    await prefs.put(Prefs(email="maria@example.ru", weekly=True))
    listed = [p.email async for p in prefs.everyone()]
    claimed = await prefs.claim("e.1")
    await prefs.release("e.1")
    again = await prefs.claim("e.1")
    consuming = []
    for spec in (streams.PORTAL_MESSAGES, streams.PORTAL_CHANGES):
        subscribed = asyncio.Event()
        consuming.append(asyncio.create_task(consume_batches(js, spec, _ack_all, 10, subscribed)))
        await asyncio.wait_for(subscribed.wait(), 5)

    async def link(msg: Msg) -> None:
        await msg.respond(b'{"url": "u"}')

    await portal.subscribe(subjects.PORTAL_LINK, cb=link)
    await portal.flush()
    answer = await inbox.request(subjects.PORTAL_LINK, b"{}", timeout=5)
    for task in consuming:
        task.cancel()
    for client in (portal, inbox, store):
        await client.close()

    assert errors == []
    assert listed == ["maria@example.ru"] and claimed and again
    assert answer.data == b'{"url": "u"}'


async def _ack_all(batch: list[Msg]) -> None:
    for msg in batch:
        await msg.ack()
