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

    async def call(self, method: str, **params: Any) -> Any:
        return await asyncio.to_thread(self.api.method, method, params)

    async def person(self, user_id: str) -> str | None:
        """A customer's name (`users.get`, cached; VK tells no user's language)."""
        if user_id not in self.names:
            if not user_id.isdigit():
                return None  # another community writes: it has no user profile
            found = await self.call("users.get", user_ids=user_id)
            person = found[0] if found else {}
            name = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
            self.names[user_id] = name or None
        return self.names[user_id]

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


class Communities:
    def __init__(self, settings: VkSettings) -> None:
        self.by_account = {g.account: Community(g, settings) for g in settings.vk_groups}

    def get(self, account: str) -> Community | None:
        return self.by_account.get(account)
