"""Telegram settings (`RELAYDESK_TELEGRAM_*`)."""

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from services.runtime.config import BaseServiceSettings


class BotConfig(BaseModel):
    account: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    token: SecretStr
    secret: SecretStr = Field(description="X-Telegram-Bot-Api-Secret-Token of its webhook")


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

    @property
    def file_base(self) -> str:
        if self.telegram_file_base:
            return self.telegram_file_base
        base = self.telegram_api_base.rstrip("/")
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"
