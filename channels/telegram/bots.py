"""The configured bots as python-telegram-bot clients, initialized on first use (an
unreachable Bot API at start-up delays the first call instead of crashing the adapter)."""

from telegram import Bot

from channels.telegram.settings import TelegramSettings


class BotPool:
    def __init__(self, settings: TelegramSettings) -> None:
        self.bots = {
            b.account: Bot(
                b.token.get_secret_value(),
                base_url=settings.telegram_api_base,
                base_file_url=settings.file_base,
            )
            for b in settings.telegram_bots
        }
        self.ready: set[str] = set()

    async def get(self, account: str) -> Bot:
        bot = self.bots[account]
        if account not in self.ready:
            await bot.initialize()  # getMe; raises (and the caller retries) while unreachable
            self.ready.add(account)
        return bot

    async def close(self) -> None:
        for account in self.ready:
            await self.bots[account].shutdown()
