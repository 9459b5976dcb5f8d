"""An `OutboundMessage` delivered through python-telegram-bot, and the Bot API's errors mapped
to what the adapter framework does next."""

from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from channels._adapter.capabilities import Capabilities, Part
from channels._adapter.outcome import Failed, Outcome, Retry, Sent
from contracts.messages import Button, OutboundMessage
from services.runtime.files import FileStore

CAPABILITIES = Capabilities(text_limit=4096, files_apart=True)
"""4,096 characters per message; files go one per message, after the text."""


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


async def deliver(bot: Bot, out: OutboundMessage, part: Part, files: FileStore) -> Outcome:
    """One part of a reply: a piece of its text, or one attached file as a photo or a
    document. The last part carries the reply's buttons."""
    markup = keyboard(out.buttons) if part.last else None
    try:
        if not part.attachments:
            sent = await bot.send_message(
                chat_id=out.thread_key, text=part.text, reply_markup=markup
            )
        else:
            attachment = part.attachments[0]
            data = files.read(attachment.ref)
            if data is None:
                return Failed(f"attachment not found: {attachment.name}")
            upload = InputFile(data, filename=attachment.name)
            if attachment.content_type.startswith("image/"):
                sent = await bot.send_photo(
                    chat_id=out.thread_key, photo=upload, reply_markup=markup
                )
            else:
                sent = await bot.send_document(
                    chat_id=out.thread_key, document=upload, reply_markup=markup
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
    return Sent(f"{sent.chat_id}:{sent.message_id}")
