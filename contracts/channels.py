"""The channels a customer can write from. Pure."""

from typing import Literal, get_args

Channel = Literal["email", "webchat", "telegram", "vk", "viber"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
