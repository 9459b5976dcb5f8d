"""The Telegram channel: Bot API updates in (webhook), replies out, through python-telegram-bot.

`normalize.py` turns an update into an `InboundMessage` (pure); `send.py` delivers an
`OutboundMessage`; `app.py` wires both to NATS with the shared adapter framework.
"""
