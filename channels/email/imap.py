"""A mailbox read over IMAP with aioimaplib: IDLE where the server has it, else a look every
`poll_seconds`. Progress is UIDVALIDITY and the last UID taken, in the `email-imap` NATS KV
bucket, moved past a mail only once the mail is in JetStream: a restart or an outage of
hours takes up every mail it missed, and none twice. When UIDVALIDITY changes the folder is
read again from its start; Message-IDs (the dedupe keys) drop what was already stored.
"""

import asyncio
import json
import logging
import re

from aioimaplib import IMAP4, IMAP4_SSL
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from channels.email.intake import MailIntake
from channels.email.settings import ImapConfig, MailAccount
from services.runtime.deadletter import describe
from services.runtime.metrics import ERRORS

log = logging.getLogger("relaydesk.email")
PROGRESS = "email-imap"
IDLE_SECONDS = 25 * 60.0  # RFC 2177: servers may drop an IDLE after 30 minutes
BATCH = 100  # UIDs searched per look, so a huge backlog is taken in steps
UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


class ImapError(Exception):
    pass


class Mailbox:
    def __init__(
        self, account: MailAccount, config: ImapConfig, intake: MailIntake, progress: KeyValue
    ) -> None:
        self.account = account
        self.config = config
        self.intake = intake
        self.progress = progress
        self.key = f"imap.{account.account}"

    async def run(self) -> None:
        """Until cancelled; a lost connection or a server error waits and starts again."""
        wait = 1.0
        while True:
            try:
                await self.session()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                ERRORS.labels("email", "imap").inc()
                log.warning(
                    "mailbox %s: %s; again in %.0f s", self.account.account, describe(error), wait
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, 60.0)
            else:
                wait = 1.0

    async def session(self) -> None:
        c = self.config
        client = IMAP4_SSL(c.host, c.port) if c.tls == "ssl" else IMAP4(c.host, c.port)
        await client.wait_hello_from_server()
        try:
            _ok(await client.login(c.user, c.password.get_secret_value()), "login")
            while True:
                found = UIDVALIDITY.search(b" ".join(_lines(await client.select(c.folder))))
                if found is None:
                    raise ImapError(f"no UIDVALIDITY for folder {c.folder!r}")
                while await self.catch_up(client, int(found.group(1))):
                    pass
                await self.wait(client)
        finally:
            try:
                await asyncio.wait_for(client.logout(), 5)
            except Exception as error:  # the connection is going anyway
                log.debug("logout: %s", describe(error))

    async def wait(self, client: IMAP4) -> None:
        if not client.has_capability("IDLE"):
            await asyncio.sleep(self.config.poll_seconds)
            return
        idle = await client.idle_start(timeout=IDLE_SECONDS)
        await client.wait_server_push(timeout=IDLE_SECONDS + 60)
        client.idle_done()
        await asyncio.wait_for(idle, 30)

    async def catch_up(self, client: IMAP4, uidvalidity: int) -> bool:
        """Takes the next batch of new mail; True when there may be more."""
        known, last = await self.position()
        if known != uidvalidity:
            if known is not None:
                log.warning(
                    "mailbox %s: UIDVALIDITY changed, reading it again", self.account.account
                )
            last = 0
        response = await client.uid_search(f"UID {last + 1}:*", charset=None)
        _ok(response, "search")
        uids = sorted(int(u) for u in b" ".join(_lines(response)[:1]).split() if u.isdigit())
        uids = [u for u in uids if u > last][:BATCH]
        for uid in uids:
            raw = await self.fetch(client, uid)
            await self.intake.accept(raw, self.account, [])
            await self.remember(uidvalidity, uid)
            if self.config.after == "move":
                _ok(await client.uid("move", str(uid), self.config.move_to), "move")
        return len(uids) == BATCH

    async def fetch(self, client: IMAP4, uid: int) -> bytes:
        response = await client.uid("fetch", str(uid), "(BODY.PEEK[])")
        _ok(response, "fetch")
        for line in response.lines:
            if isinstance(line, bytearray):
                return bytes(line)
        raise ImapError(f"UID {uid} came back without its body")

    async def position(self) -> tuple[int | None, int]:
        try:
            entry = await self.progress.get(self.key)
        except KeyNotFoundError:
            return None, 0
        state = json.loads(entry.value or b"{}")
        return state.get("uidvalidity"), int(state.get("last_uid", 0))

    async def remember(self, uidvalidity: int, uid: int) -> None:
        value = json.dumps({"uidvalidity": uidvalidity, "last_uid": uid}).encode()
        await self.progress.put(self.key, value)


def _lines(response: object) -> list[bytes]:
    return [bytes(x) for x in getattr(response, "lines", []) if isinstance(x, bytes | bytearray)]


def _ok(response: object, what: str) -> None:
    if getattr(response, "result", None) != "OK":
        raise ImapError(f"{what} refused: {b' '.join(_lines(response))[:200]!r}")
