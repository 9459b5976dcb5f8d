"""Headless Chromium (Debian's, driven by Playwright) against a real desk on loopback.

`make test` installs the `chromium` package when it is missing; a machine without it (and
without root to install it) skips these tests and says why.
"""

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.integration.inbox.conftest import PASSWORD, TEAM, Desk, desk, desk_processes

__all__ = ["desk", "desk_processes"]
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = os.environ.get("RELAYDESK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Debian's Chromium as root, on a machine with no outside network (DESIGN §9 notes).
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium: `apt-get install -y chromium` (make test does this as root)")
    ARTIFACTS.mkdir(exist_ok=True)
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=ARGS)
        yield launched
        await launched.close()


class Agent:
    """One agent's browser tab, logged in through the login page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    async def _dialog(self, dialog: object) -> None:
        self.dialogs.append(getattr(dialog, "message", ""))
        await dialog.dismiss()  # type: ignore[attr-defined]

    async def view(self, name: str) -> None:
        await self.page.click(f"[data-view={name}]")


@pytest.fixture
async def agent_tab(browser: Browser, desk: Desk) -> AsyncIterator[object]:
    contexts = []

    async def open_as(agent_id: str) -> Agent:
        context = await browser.new_context(viewport={"width": 1400, "height": 850}, locale="ru-RU")
        contexts.append(context)
        page = await context.new_page()
        await page.goto(desk.url + "/")
        email = next(a.email for a in TEAM if a.id == agent_id)
        await page.fill("input[name=email]", email)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("nav.views")
        return Agent(page)

    yield open_as
    for context in contexts:
        await context.close()
