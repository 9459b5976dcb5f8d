"""Bot menus as data: the menu tree an account offers before a person takes over (what a
ticket records of it and of its rating is in `contracts.tickets`). Pure.

A button's data is what the customer's press sends back (Telegram's callback data, VK's
payload, Viber's ActionBody, the widget's choice): `m:<node id>` for a menu node, `m:!person`
and `m:!helped` after an answer, `r:<ticket id>:<1-5>` for a rating; all within Telegram's
64 bytes.
"""

import re

from pydantic import Field, model_validator

from contracts.base import BusModel
from contracts.channels import Channel
from contracts.tickets import Priority

NODE_ID = r"^[a-z0-9][a-z0-9_-]{0,23}$"
PERSON = "m:!person"
HELPED = "m:!helped"


CHOICE = re.compile(r"^(m:[a-z0-9!][a-z0-9_-]{0,23}|r:[0-9a-f]{32}:[1-5])$")


def is_choice(data: str) -> bool:
    """Whether `data` is a button of ours (a platform that sends a button's data as text,
    like Viber, needs telling it from words)."""
    return CHOICE.match(data) is not None


def menu_choice(node_id: str) -> str:
    return f"m:{node_id}"


def rating_choice(ticket_id: str, score: int) -> str:
    return f"r:{ticket_id}:{score}"


class MenuNode(BusModel):
    """A choice; with `children` it opens a submenu, else it is a leaf that hands the ticket
    to a department (with a topic tag and a priority) or answers with a short text."""

    id: str = Field(pattern=NODE_ID, description="Unique in its menu; goes in button data")
    title: dict[str, str] = Field(min_length=1, description="Per language: {'ru': …, 'en': …}")
    children: list["MenuNode"] = Field(default_factory=list)
    department: str | None = None
    topic: str | None = Field(default=None, max_length=60, description="A tag on the ticket")
    priority: Priority | None = None
    answer: dict[str, str] = Field(
        default_factory=dict, description="FAQ text per language: answered by the bot"
    )

    @model_validator(mode="after")
    def _leaf_does_something(self) -> "MenuNode":
        if not self.children and not (self.department or self.topic or self.answer):
            raise ValueError(f"leaf {self.id!r} needs a department, a topic or an answer")
        return self


class Menu(BusModel):
    """The menu of one account (a bot, a site, a mailbox)."""

    channel: Channel
    account: str = Field(min_length=1)
    prompt: dict[str, str] = Field(
        default_factory=lambda: {
            "ru": "Выберите тему обращения или просто напишите вопрос:",
            "en": "Choose a topic, or just write your question:",
        }
    )
    nodes: list[MenuNode] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Menu":
        seen: set[str] = set()
        stack = list(self.nodes)
        while stack:
            node = stack.pop()
            if node.id in seen:
                raise ValueError(f"node id {node.id!r} is used twice in this menu")
            seen.add(node.id)
            stack += node.children
        return self
