"""The web chat channel: a widget any site embeds, talking over a WebSocket to this service.

Here the adapter is also the platform: it issues visitor tokens, keeps the transcript the
visitor sees (stream `WEBCHAT`, one subject per visitor; agents' internal notes never reach
it because they are never outbound), and pushes replies to the visitor's open tabs.
"""
