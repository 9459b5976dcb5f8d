"""The README's configuration table names every setting a service reads."""

from pathlib import Path

from channels.email.settings import EmailSettings
from channels.telegram.settings import TelegramSettings
from channels.viber.settings import ViberSettings
from channels.vk.settings import VkSettings
from channels.webchat.settings import WebchatSettings
from router.settings import RouterSettings
from services.inbox.settings import InboxSettings
from services.portal.settings import PortalSettings
from services.runtime.config import UpSettings
from services.store.settings import StoreSettings

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    names = {
        f"RELAYDESK_{field.upper()}"
        for settings in (
            UpSettings,
            StoreSettings,
            RouterSettings,
            InboxSettings,
            TelegramSettings,
            WebchatSettings,
            EmailSettings,
            VkSettings,
            ViberSettings,
            PortalSettings,
        )
        for field in settings.model_fields
    }

    missing = sorted(n for n in names if f"`{n}`" not in README)

    assert missing == []


def test_the_readme_opens_with_the_two_commands() -> None:
    first_screen = README.split("## ")[1] if README.startswith("## ") else README[:800]

    assert "make run" in first_screen and "make test" in first_screen
