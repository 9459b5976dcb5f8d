"""Telegram's settings refuse a webhook nobody could verify."""

import httpx
import pytest
from pydantic import ValidationError

from channels.telegram.app import create_app
from channels.telegram.settings import TelegramSettings


def bots(secret: str | None) -> list[dict[str, str]]:
    bot = {"account": "support_bot", "token": "123:ABC"}
    return [bot if secret is None else {**bot, "secret": secret}]


@pytest.mark.parametrize("secret", [None, "", "short-secret", "sixteen chars!!!"])
def test_webhook_mode_refuses_a_missing_short_or_malformed_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="webhook secret needs 16"):
        TelegramSettings(telegram_bots=bots(secret), telegram_mode="webhook")


def test_polling_mode_needs_no_secret() -> None:
    settings = TelegramSettings(telegram_bots=bots(None), telegram_mode="polling")

    assert settings.telegram_bots[0].secret.get_secret_value() == ""


async def test_polling_mode_serves_no_webhook_route() -> None:
    app = create_app(TelegramSettings(telegram_bots=bots(None), telegram_mode="polling"))
    transport = httpx.ASGITransport(app=app)

    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        reply = await client.post("/telegram/support_bot/webhook", json={"update_id": 1})

    assert reply.status_code == 404
