"""The communities as vk-api clients.

vk-api is synchronous (requests underneath), so every call runs in a worker thread
(`asyncio.to_thread`): it keeps vk-api's own request signing, error types and upload helpers,
which an async re-implementation would have to copy, and a call costs one thread hop, far
below VK's own latency. Its built-in handling of error 6 (sleep and retry inside the call)
is removed: the outbound worker decides how long to wait, so a rate-limited call never holds
a thread. The API base can be pointed elsewhere (tests run a local fake VK API).
"""

import asyncio
from typing import Any

import requests
import vk_api
from vk_api.exceptions import TOO_MANY_RPS_CODE

from channels.vk.settings import GroupConfig, VkSettings

OFFICIAL = "https://api.vk.ru/method/"
LOOKUP_BATCH = 1000  # user ids users.get takes in one call
NAMES_KEPT = 100_000


class _Session(requests.Session):
    """vk-api calls the official address; this session sends those calls to `base`."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base if base.endswith("/") else base + "/"

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str) and url.startswith(OFFICIAL):
            url = self.base + url[len(OFFICIAL) :]
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)


class Community:
    def __init__(self, group: GroupConfig, settings: VkSettings) -> None:
        self.group = group
        self.session = _Session(settings.vk_api_base)
        self.api = vk_api.VkApi(
            token=group.token.get_secret_value(),
            api_version=settings.vk_api_version,
            session=self.session,
        )
        self.api.RPS_DELAY = 1 / settings.vk_rate
        self.api.error_handlers.pop(TOO_MANY_RPS_CODE, None)
        self.upload = vk_api.VkUpload(self.api)
        self.names: dict[str, str | None] = {}  # user id -> name
        self.asked: dict[str, asyncio.Future[str | None]] = {}  # ids waiting for a lookup
        self.lookup: asyncio.Task[None] | None = None

    async def call(self, method: str, **params: Any) -> Any:
        return await asyncio.to_thread(self.api.method, method, params)

    async def person(self, user_id: str) -> str | None:
        """A customer's name (`users.get`, cached; VK tells no user's language). The ids
        asked for while a lookup waits for its turn go together in the next one (up to
        1,000 a call): VK allows a community 20 calls a second, and one call per new
        customer would hold every webhook behind that limit."""
        if user_id in self.names:
            return self.names[user_id]
        if not user_id.isdigit():
            return None  # another community writes: it has no user profile
        if user_id not in self.asked:
            self.asked[user_id] = asyncio.get_running_loop().create_future()
            if self.lookup is None or self.lookup.done():
                self.lookup = asyncio.create_task(self._look_up())
        return await asyncio.shield(self.asked[user_id])

    async def _look_up(self) -> None:
        while self.asked:
            batch = dict(list(self.asked.items())[:LOOKUP_BATCH])
            try:
                found = await self.call("users.get", user_ids=",".join(batch))
            except Exception as error:  # each waiting message is stored without a name
                for future in batch.values():
                    future.set_exception(error)
                    future.exception()  # retrieved here: nobody may be waiting any more
                found = None
            if len(self.names) > NAMES_KEPT:
                self.names.clear()
            names = {str(p.get("id")): _name(p) for p in found or []}
            for user_id, future in batch.items():
                del self.asked[user_id]
                if found is not None:
                    self.names[user_id] = names.get(user_id)
                    future.set_result(names.get(user_id))

    def download(self, url: str, limit: int) -> bytes | None:
        """A customer's file, or None when it is larger than `limit` (sync: in a thread)."""
        with self.session.get(url, stream=True, timeout=30) as response:
            response.raise_for_status()
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > limit:
                    return None
            return bytes(data)


def _name(person: dict[str, Any]) -> str | None:
    return " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p) or None


class Communities:
    def __init__(self, settings: VkSettings) -> None:
        self.by_account = {g.account: Community(g, settings) for g in settings.vk_groups}

    def get(self, account: str) -> Community | None:
        return self.by_account.get(account)
