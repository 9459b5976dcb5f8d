"""Bots Long Poll: events pulled from VK instead of pushed, for a desk without a public
address. https://dev.vk.com/ru/api/bots-long-poll/getting-started

The last `ts` taken is kept per community in the NATS KV bucket `vk-longpoll`, and moved past
an event only once the event is in JetStream: a restart resumes where it stopped, losing and
repeating nothing. VK's `failed` answers are handled as documented: 1, continue from the `ts`
it gives (events were lost on VK's side); 2, a new key; 3, a new key and `ts`.
"""

import asyncio
import logging

import httpx
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from channels._adapter.intake import Intake
from channels.vk.client import Community
from services.runtime.deadletter import describe
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.vk")
PROGRESS = "vk-longpoll"
WAIT = 25  # seconds VK holds a request open when nothing happens (its maximum is 90)


async def poll(community: Community, intake: Intake, progress: KeyValue) -> None:
    account = community.group.account
    key = f"ts.{account}"
    backoff = 1.0
    async with httpx.AsyncClient(timeout=WAIT + 15) as http:
        while True:
            try:
                server = await community.call(
                    "groups.getLongPollServer", group_id=community.group.group_id
                )
                ts = await _stored(progress, key) or str(server["ts"])
                while True:
                    params = {"act": "a_check", "key": server["key"], "ts": ts, "wait": WAIT}
                    answer = (await http.get(server["server"], params=params)).json()
                    failed = answer.get("failed")
                    if failed == 1:
                        ts = str(answer["ts"])
                        log.warning("VK long poll of %s: events were lost on VK's side", account)
                        continue
                    if failed == 3:  # VK lost its history: start from the ts it gives now
                        await progress.put(key, b"")
                    if failed in (2, 3):
                        break
                    for event in answer.get("updates", []):
                        await intake.accept(event, account)
                    ts = str(answer["ts"])
                    await progress.put(key, ts.encode())
                    backoff = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as error:  # VK or NATS away: wait and start again from the stored ts
                ERRORS.labels("vk", "longpoll").inc()
                log.warning(
                    "VK long poll of %s: %s; again in %.0f s", account, describe(error), backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)


async def _stored(progress: KeyValue, key: str) -> str | None:
    try:
        entry = await progress.get(key)
    except KeyNotFoundError:
        return None
    return (entry.value or b"").decode() or None
