"""Navigating a bot menu: what the customer's choice (or words) does, and the message that
shows a node's options. Pure.

A choice is a button's data, or a number typed in answer to the numbered list email shows
(any channel accepts it). Anything else the customer writes hands them to a person at once:
nobody is trapped in a menu.
"""

from dataclasses import dataclass, field
from typing import Literal

from contracts.menus import HELPED, PERSON, Menu, MenuNode, menu_choice
from contracts.messages import Button
from contracts.tickets import MenuState

PERSON_TITLE = {"ru": "Связаться с сотрудником", "en": "Talk to a person"}
HELPED_TITLE = {"ru": "Это помогло", "en": "This helped"}
BACK_TO_PERSON = {
    "ru": "Передаём ваш вопрос сотруднику, он скоро ответит.",
    "en": "We are passing your question to a person; they will answer soon.",
}
GLAD = {"ru": "Рады, что помогли! Если что-то ещё, просто напишите.", "en": "Glad it helped! "
        "If there is anything else, just write."}  # fmt: skip

Kind = Literal["show", "answer", "handover", "helped"]
Outcome = Literal["handed_over", "answered", "typed"]


@dataclass
class Step:
    """What the bot does next: show a submenu, answer from the FAQ, hand over to a person, or
    close as answered. `say` and `buttons` are the message to send (none for a handover to a
    leaf's department, whose acknowledgement comes from the department)."""

    kind: Kind
    state: MenuState
    say: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    node: MenuNode | None = None


def text(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def children(menu: Menu, state: MenuState) -> list[MenuNode]:
    """The options shown now: the top level, or the last chosen node's children."""
    node = find(menu, state.path[-1]) if state.path else None
    return node.children if node and node.children else menu.nodes


def find(menu: Menu, node_id: str) -> MenuNode | None:
    stack = list(menu.nodes)
    while stack:
        node = stack.pop()
        if node.id == node_id:
            return node
        stack += node.children
    return None


def options(nodes: list[MenuNode], lang: str) -> list[list[Button]]:
    """One button per row (titles are long in Russian), then "talk to a person"."""
    rows = [[Button(text=text(n.title, lang), data=menu_choice(n.id))] for n in nodes]
    return [*rows, [Button(text=text(PERSON_TITLE, lang), data=PERSON)]]


def first(menu: Menu, lang: str) -> Step:
    """The menu offered on a new conversation."""
    return Step("show", MenuState(), text(menu.prompt, lang), options(menu.nodes, lang))


def chosen(menu: Menu, state: MenuState, choice: str | None, typed: str) -> str | None:
    """The button data the customer meant: the data itself, or the number of an option."""
    if choice:
        return choice
    number = typed.strip().rstrip(".)")
    if number.isdigit():
        shown = children(menu, state)
        index = int(number) - 1
        if 0 <= index < len(shown):
            return menu_choice(shown[index].id)
        if index == len(shown):
            return PERSON
    return None


def step(menu: Menu, state: MenuState, choice: str | None, typed: str, lang: str) -> Step:
    data = chosen(menu, state, choice, typed)
    if data == HELPED:
        return Step("helped", _closed(state, "answered"), text(GLAD, lang))
    if data == PERSON or data is None:
        outcome: Outcome = "handed_over" if data == PERSON else "typed"
        return Step("handover", _closed(state, outcome), text(BACK_TO_PERSON, lang))
    node = find(menu, data.removeprefix("m:")) if data.startswith("m:") else None
    if node is None:  # a stale or foreign button: a person sorts it out
        return Step("handover", _closed(state, "typed"), text(BACK_TO_PERSON, lang))
    moved = state.model_copy(
        update={"path": [*state.path, node.id], "titles": [*state.titles, text(node.title, lang)]}
    )
    if node.children:
        return Step("show", moved, text(node.title, lang), options(node.children, lang), node)
    if node.answer:
        buttons = [[Button(text=text(HELPED_TITLE, lang), data=HELPED)],
                   [Button(text=text(PERSON_TITLE, lang), data=PERSON)]]  # fmt: skip
        return Step("answer", moved, text(node.answer, lang), buttons, node)
    return Step("handover", _closed(moved, "handed_over"), "", [], node)


def _closed(state: MenuState, outcome: Outcome) -> MenuState:
    return state.model_copy(update={"open": False, "outcome": outcome})


def path_of(state: MenuState | None) -> str:
    """'billing/refund': how routing rules name a path."""
    return "/".join(state.path) if state else ""
