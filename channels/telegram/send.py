"""An `OutboundMessage` delivered through python-telegram-bot, and the Bot API's errors mapped
to what the adapter framework does next."""

from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from channels._adapter.outcome import Failed, Outcome, Retry, Sent
from contracts.messages import Button, OutboundMessage

LIMIT = 4096  # characters per Telegram message


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word when one is near."""
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text or not pieces else pieces


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.data, url=b.url) for b in row]
            for row in rows
        ]
    )


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def deliver(bot: Bot, out: OutboundMessage) -> Outcome:
    pieces = split(out.text or " ")
    try:
        sent = None
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            sent = await bot.send_message(
                chat_id=out.thread_key,
                text=piece,
                reply_markup=keyboard(out.buttons) if last else None,
            )
    except RetryAfter as error:
        return Retry("rate limited (429)", after=_seconds(error.retry_after))
    except Forbidden as error:
        return Failed(f"forbidden: {error.message}")
    except BadRequest as error:
        return Failed(f"bad request: {error.message}")
    except NetworkError as error:  # timeouts, connection errors and 5xx answers
        return Retry(f"network: {error.message}")
    except TelegramError as error:
        return Failed(f"telegram: {error.message}")
    assert sent is not None
    return Sent(f"{sent.chat_id}:{sent.message_id}")
