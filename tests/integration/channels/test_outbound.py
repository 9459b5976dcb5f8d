"""The outbound worker on real NATS, at the edges of a crash: a reply recorded as sent whose
report was lost is reported, never sent again; a reply a dead worker was sending is failed as
uncertain, never sent twice."""

import asyncio

import pytest
from nats.aio.client import Client

from channels._adapter.capabilities import Capabilities, Part
from channels._adapter.outbound import OutboundWorker
from channels._adapter.outcome import Outcome, Retry, Sent
from contracts import streams, subjects
from contracts.messages import DeliveryReport, OutboundMessage

pytestmark = pytest.mark.integration


def reply(text: str) -> OutboundMessage:
    return OutboundMessage(
        ticket_id="t1", message_id=f"m-{text}", channel="webchat", account="a", thread_key="v",
        text=text,
    )  # fmt: skip


async def publish(nc: Client, out: OutboundMessage) -> None:
    await nc.jetstream().publish(
        subjects.outbound("webchat"), out.to_bytes(), headers={streams.MSG_ID: out.id}
    )


async def next_report(nc: Client) -> DeliveryReport:
    sub = await nc.jetstream().subscribe(subjects.delivery("webchat"), ordered_consumer=True)
    try:
        return DeliveryReport.model_validate_json((await sub.next_msg(timeout=15)).data)
    finally:
        await sub.unsubscribe()


async def test_a_reply_recorded_as_sent_is_reported_and_not_sent_again(nc: Client) -> None:
    calls: list[str] = []

    async def deliver(out: OutboundMessage, part: Part) -> Outcome:
        calls.append(out.text)
        return Sent("x")

    worker = OutboundWorker(nc.jetstream(), "webchat", deliver)
    await worker.start()
    out = reply("уже отправлено")
    assert worker.delivered is not None
    await worker.delivered.put(out.id, b"platform-42")  # the crash came right after this

    await publish(nc, out)
    report = await next_report(nc)
    await worker.stop()

    assert (report.outbound_id, report.status, report.external_id) == (
        out.id,
        "sent",
        "platform-42",
    )
    assert calls == []


async def test_a_reply_a_dead_worker_was_sending_is_failed_as_uncertain(nc: Client) -> None:
    calls: list[str] = []
    forever = asyncio.Event()

    async def hang(out: OutboundMessage, part: Part) -> Outcome:
        calls.append(out.text)
        await forever.wait()  # the platform has it; the worker dies before hearing back
        return Sent(None)

    async def deliver(out: OutboundMessage, part: Part) -> Outcome:
        calls.append(out.text)
        return Sent(None)

    dying = OutboundWorker(nc.jetstream(), "webchat", hang)
    await dying.start()
    out = reply("в пути")
    await publish(nc, out)
    async with asyncio.timeout(5):
        while not calls:
            await asyncio.sleep(0.01)
    await dying.stop()
    survivor = OutboundWorker(nc.jetstream(), "webchat", deliver)
    await survivor.start()

    report = await next_report(nc)
    await survivor.stop()

    assert report.status == "failed" and "uncertain" in (report.reason or "")
    assert calls == ["в пути"]


LONG = Capabilities(text_limit=10)  # "часть один часть два": "часть один", "часть два"


async def test_a_split_reply_whose_second_part_fails_once_sends_each_part_once(
    nc: Client,
) -> None:
    calls: list[tuple[str, str]] = []

    async def deliver(out: OutboundMessage, part: Part) -> Outcome:
        failed_before = ("failed", part.text) in calls
        if part.index == 1 and not failed_before:
            calls.append(("failed", part.text))
            return Retry("network: 502")
        calls.append(("sent", part.text))
        return Sent(f"p{part.index}")

    worker = OutboundWorker(nc.jetstream(), "webchat", deliver, LONG)
    await worker.start()
    await publish(nc, reply("часть один часть два"))
    report = await next_report(nc)
    await worker.stop()

    assert calls == [("sent", "часть один"), ("failed", "часть два"), ("sent", "часть два")]
    assert (report.status, report.external_id, report.attempt) == ("sent", "p1", 3)


async def crash_in_part_two(
    nc: Client, capabilities: Capabilities
) -> tuple[list[int], DeliveryReport]:
    """A worker dies while the platform takes part 2 of a reply; another takes over. What
    the platform was asked to send, part by part, and the report that came of it."""
    calls: list[int] = []
    forever = asyncio.Event()

    async def dies_in_part_two(out: OutboundMessage, part: Part) -> Outcome:
        calls.append(part.index)
        if part.index == 1:
            await forever.wait()
        return Sent(f"p{part.index}")

    async def deliver(out: OutboundMessage, part: Part) -> Outcome:
        calls.append(part.index)
        return Sent(f"p{part.index}")

    dying = OutboundWorker(nc.jetstream(), "webchat", dies_in_part_two, capabilities)
    await dying.start()
    await publish(nc, reply("часть один часть два"))
    async with asyncio.timeout(5):
        while len(calls) < 2:
            await asyncio.sleep(0.01)
    await dying.stop()
    survivor = OutboundWorker(nc.jetstream(), "webchat", deliver, capabilities)
    await survivor.start()
    report = await next_report(nc)
    await survivor.stop()
    return calls, report


async def test_a_crash_in_part_two_never_sends_part_one_again(nc: Client) -> None:
    calls, report = await crash_in_part_two(nc, LONG)

    assert calls == [0, 1]
    assert report.status == "failed" and (report.reason or "").startswith("part 2 of")


async def test_an_idempotent_platform_gets_the_cut_off_part_again_and_only_it(
    nc: Client,
) -> None:
    calls, report = await crash_in_part_two(nc, Capabilities(text_limit=10, idempotent=True))

    assert calls == [0, 1, 1]
    assert (report.status, report.external_id) == ("sent", "p1")
