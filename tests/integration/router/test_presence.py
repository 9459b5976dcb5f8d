"""Presence and load in NATS KV, as router replicas share them."""

import asyncio

import pytest
from nats.js import JetStreamContext

from router.presence import Presence
from tests.integration.router.agents import set_status

pytestmark = pytest.mark.integration


async def test_an_existing_bucket_keeps_the_ttl_it_was_created_with(js: JetStreamContext) -> None:
    await Presence.open(js, ttl=600)

    again = await Presence.open(js, ttl=60)

    assert again.ttl == 600


async def test_two_replicas_racing_for_the_last_slot_give_it_to_one(js: JetStreamContext) -> None:
    first, second = await Presence.open(js, ttl=60), await Presence.open(js, ttl=60)
    await first.watch()
    await second.watch()
    await first.reserve("a1", "t0", capacity=2)

    won = await asyncio.gather(
        *(p.reserve("a1", f"t{n}", capacity=2) for n, p in enumerate([first, second] * 5, 1))
    )
    loads = await first.loads()

    assert sum(won) == 1
    assert len((await first._read("a1", fresh=True))[0].tickets) == 2
    assert len(loads["a1"].tickets) <= 2
    await first.close()
    await second.close()


async def test_claiming_a_ticket_twice_is_refused_and_release_is_idempotent(
    js: JetStreamContext,
) -> None:
    presence = await Presence.open(js, ttl=60)

    assert await presence.reserve("a1", "t1", capacity=5) is True
    assert await presence.reserve("a1", "t1", capacity=5) is False
    await presence.release("a1", "t1")
    await presence.release("a1", "t1")

    assert (await presence.loads())["a1"].tickets == []


async def test_a_status_older_than_the_ttl_counts_as_offline(js: JetStreamContext) -> None:
    presence = await Presence.open(js, ttl=1)
    await presence.watch()
    await set_status(presence, "a1", "online")
    await asyncio.sleep(0.2)
    assert (await presence.statuses()) == {"a1": "online"}

    await asyncio.sleep(1.2)

    assert (await presence.statuses()) == {}
    await presence.close()
