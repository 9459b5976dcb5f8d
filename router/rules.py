"""Department rules: the first matching rule decides department, priority and tags. Pure.

Rules are data (`contracts.directory.RoutingRule`, kept by the store). A rule with
`stop=False` adds its priority and tags and lets later rules decide the department, so
"срочно → urgent" can sit above the department rules.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from contracts.directory import RoutingRule, RuleMatch
from contracts.tickets import MACHINE_MAIL, PRIORITIES, Priority

# Words that mark an outage in the languages our customers write in.
URGENT_WORDS = ("down", "outage", "urgent", "не работает", "срочно", "упал", "авария")


@dataclass(frozen=True)
class Conversation:
    """What the router knows of a new conversation when it decides."""

    channel: str
    account: str
    subject: str = ""
    text: str = ""
    recipient: str | None = None
    language: str | None = None
    contact_tags: tuple[str, ...] = ()
    department_hint: str | None = None
    department: str | None = None
    """Already chosen by a person (a ticket an agent opened): rules add priority and tags."""
    menu_path: str = ""
    """The bot menu path the customer took ('billing/refund'), if any."""
    tags: tuple[str, ...] = ()
    """The ticket's own tags; an auto-reply, a bounce or bulk mail is never raised above
    `normal`, whatever words it quotes (an out-of-office reply quoting "срочно")."""


@dataclass
class Decision:
    department: str
    priority: Priority = "normal"
    tags: list[str] = field(default_factory=list)
    rule: str = "default"

    @property
    def reason(self) -> str:
        if self.rule == "chosen":
            return "department chosen by the agent who opened it"
        if self.rule == "customer":
            return "department the customer chose"
        return f"rule '{self.rule}'" if self.rule != "default" else "default department"


def matches(match: RuleMatch, c: Conversation) -> bool:
    words = f"{c.subject}\n{c.text}".casefold()
    checks = (
        not match.channels or c.channel in match.channels,
        not match.accounts or c.account in match.accounts,
        not match.recipients
        or (c.recipient or "").casefold() in {r.casefold() for r in match.recipients},
        not match.keywords or any(k.casefold() in words for k in match.keywords),
        not match.pattern or re.search(match.pattern, f"{c.subject}\n{c.text}", re.I) is not None,
        not match.languages or (c.language or "").split("-")[0] in match.languages,
        not match.contact_tags or bool(set(match.contact_tags) & set(c.contact_tags)),
        not match.department_hints or c.department_hint in match.department_hints,
        not match.menu_paths or any(_within(c.menu_path, p) for p in match.menu_paths),
    )
    return all(checks)


def _within(path: str, wanted: str) -> bool:
    wanted = wanted.strip("/")
    return bool(path) and (path == wanted or path.startswith(f"{wanted}/"))


def higher(a: Priority, b: Priority | None) -> Priority:
    if b is None:
        return a
    return max(a, b, key=PRIORITIES.index)


def route(
    c: Conversation,
    rules: list[RoutingRule],
    default_department: str,
    departments: Collection[str] = (),
) -> Decision:
    """Evaluate `rules` in order. The first matching rule with a department decides it;
    rules with `stop=False` only add priority and tags. No match: the department the customer
    chose (bot menu, pre-chat form) when it is one of `departments`, else the default."""
    decision = Decision(department=c.department or default_department)
    if c.department:
        decision.rule = "chosen"
    for rule in rules:
        if not rule.enabled or not matches(rule.match, c):
            continue
        decision.priority = higher(decision.priority, rule.priority)
        decision.tags += [t for t in rule.tags if t not in decision.tags]
        if rule.department and not c.department:
            decision.department = rule.department
            decision.rule = rule.name
        if rule.stop:
            break
    if decision.rule == "default" and c.department_hint in departments:
        decision.department = c.department_hint or default_department
        decision.rule = "customer"
    if MACHINE_MAIL & set(c.tags) and PRIORITIES.index(decision.priority) > 1:
        decision.priority = "normal"
    return decision


# Seeded into the store when no rules exist yet, so a fresh desk already raises outages.
SEED_RULES = [
    RoutingRule(
        id="seed-urgent",
        name="outage words raise the priority",
        match=RuleMatch(keywords=list(URGENT_WORDS)),
        priority="high",
        tags=["urgent-words"],
        stop=False,
    )
]
