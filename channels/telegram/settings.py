"""Telegram settings (`RELAYDESK_TELEGRAM_*`)."""

import re
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

from services.runtime.config import BaseServiceSettings

# https://core.telegram.org/bots/api#setwebhook (secret_token); 16 is our floor, not theirs.
SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


class BotConfig(BaseModel):
    account: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    token: SecretStr
    secret: SecretStr = Field(
        SecretStr(""),
        description="X-Telegram-Bot-Api-Secret-Token of its webhook: 16 to 256 of A-Z, a-z, "
        "0-9, _ and - (needed in webhook mode)",
    )


class TelegramSettings(BaseServiceSettings):
    telegram_bots: list[BotConfig] = Field(
        default_factory=list, description='JSON: [{"account", "token", "secret"}, …]'
    )
    telegram_api_base: str = Field(
        "https://api.telegram.org/bot", description="Bot API base URL (tests: a local fake)"
    )
    telegram_file_base: str | None = Field(
        None, description="Bot API file download base; unset: the API base with /file/bot"
    )
    telegram_max_file_mb: int = Field(
        20, ge=1, le=2000, description="Customer files larger than this stay a reference only"
    )
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_port: int = Field(8082, ge=0, description="Webhooks, /healthz and /metrics")

    @model_validator(mode="after")
    def _webhooks_are_verified(self) -> "TelegramSettings":
        """An empty secret would make the webhook check pass for anyone (a missing header
        equals ""): in webhook mode every bot needs a real one."""
        if self.telegram_mode == "webhook":
            for bot in self.telegram_bots:
                if not SECRET.fullmatch(bot.secret.get_secret_value()):
                    raise ValueError(
                        f"bot {bot.account!r}: its webhook secret needs 16 to 256 characters "
                        "of A-Z, a-z, 0-9, _ and - (or set RELAYDESK_TELEGRAM_MODE=polling)"
                    )
        return self

    @property
    def file_base(self) -> str:
        if self.telegram_file_base:
            return self.telegram_file_base
        base = self.telegram_api_base.rstrip("/")
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"
