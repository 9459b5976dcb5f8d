"""Polling mode: getUpdates per bot, with the offset kept in NATS KV (`telegram-offsets`).

The offset moves past an update only once that update is in JetStream, so a restart neither
loses an update nor asks for one again (and a repeat would still be dropped by its dedupe key).
"""

import asyncio
import logging

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from channels._adapter.intake import Intake
from channels.telegram.bots import BotPool
from services.runtime.deadletter import describe

log = logging.getLogger("relaydesk.telegram")
OFFSETS = "telegram-offsets"
LONG_POLL = 10  # seconds Telegram holds a getUpdates open when there is nothing new


async def stored_offset(kv: KeyValue, account: str) -> int | None:
    try:
        entry = await kv.get(account)
    except KeyNotFoundError:
        return None
    return int(entry.value) if entry.value else None


async def poll(pool: BotPool, account: str, intake: Intake, kv: KeyValue) -> None:
    wait = 1.0
    while True:
        try:
            bot = await pool.get(account)
            await bot.delete_webhook()  # Telegram refuses getUpdates while a webhook is set
            break
        except Exception as error:
            log.warning("bot %s not reachable yet (%s)", account, describe(error))
            await asyncio.sleep(wait)
            wait = min(wait * 2, 30.0)
    offset = await stored_offset(kv, account)
    while True:
        try:
            # Raw JSON, not the library's `Update` objects: its strict parsing would turn one
            # odd update into a poison pill that stops this bot's polling for good.
            updates = await bot.do_api_request(
                "getUpdates",
                api_kwargs={"offset": offset, "timeout": LONG_POLL},
                read_timeout=LONG_POLL + 5,
            )
        except Exception as error:
            log.warning("getUpdates for %s failed (%s); retrying", account, describe(error))
            await asyncio.sleep(wait)
            wait = min(wait * 2, 30.0)
            continue
        wait = 1.0
        for update in updates:
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                continue  # not an update at all: nothing to store, nothing to resume from
            try:
                await intake.accept(update, account)
            except Exception as error:  # not stored: ask for it again next round
                log.warning("update %s not stored (%s)", update.get("update_id"), describe(error))
                await asyncio.sleep(1.0)
                break
            offset = int(update["update_id"]) + 1
            await kv.put(account, str(offset).encode())
