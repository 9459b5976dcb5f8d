"""An `OutboundMessage` delivered through python-telegram-bot, and the Bot API's errors mapped
to what the adapter framework does next."""

from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from channels._adapter.outcome import Failed, Outcome, Retry, Sent
from contracts.messages import Button, OutboundMessage
from services.runtime.files import FileStore

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


async def deliver(bot: Bot, out: OutboundMessage, files: FileStore) -> Outcome:
    """Text first (in pieces), then each attached file as a photo or a document."""
    pieces = split(out.text) if out.text.strip() or not out.attachments else []
    found = [(a, files.read(a.ref)) for a in out.attachments]
    if missing := [a.name for a, data in found if data is None]:
        return Failed(f"attachment not found: {', '.join(missing)}")
    attached = [(a, data) for a, data in found if data is not None]
    try:
        sent = None
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1 and not attached
            sent = await bot.send_message(
                chat_id=out.thread_key,
                text=piece,
                reply_markup=keyboard(out.buttons) if last else None,
            )
        for attachment, data in attached:
            upload = InputFile(data, filename=attachment.name)
            if attachment.content_type.startswith("image/"):
                sent = await bot.send_photo(chat_id=out.thread_key, photo=upload)
            else:
                sent = await bot.send_document(chat_id=out.thread_key, document=upload)
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
