"""The Viber channel: bot webhooks in (every call's signature verified), replies out through
the Viber REST bot API with httpx. What an event means (`normalize.py`) is pure;
`webhook.py` and `send.py` talk to Viber."""
