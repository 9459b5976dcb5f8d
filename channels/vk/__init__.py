"""The VK channel: community messages through the Callback API or Bots Long Poll, replies
through vk-api. What an event means (`normalize.py`) is pure; `client.py`, `send.py`,
`longpoll.py` and `callback.py` talk to VK."""
