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
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_port: int = Field(8082, ge=0, description="Webhooks, /healthz and /metrics")
