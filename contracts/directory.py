"""Who works the desk and how work reaches them: agents, departments, reply templates and
routing rules, with the commands and queries that change and read them. Pure.

Rules and settings are data kept by the store, so supervisors change them without a deploy.
"""

import re
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import Field, TypeAdapter, field_validator

from contracts.base import BusModel, new_id
from contracts.channels import Channel

# Re-exported: the directory is where admins keep them.
from contracts.menus import Menu as Menu
from contracts.menus import MenuNode as MenuNode
from contracts.service_levels import BusinessCalendar as BusinessCalendar
from contracts.service_levels import Escalation as Escalation
from contracts.service_levels import SlaMatch as SlaMatch
from contracts.service_levels import SlaPolicy as SlaPolicy
from contracts.tickets import Priority

Role = Literal["agent", "supervisor", "admin"]
Policy = Literal["least_loaded", "round_robin", "sticky", "manual"]
SLUG = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class AgentView(BusModel):
    id: str = Field(default_factory=new_id)
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role = "agent"
    departments: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list, description="e.g. ['ru', 'en']")
    capacity: int = Field(default=10, ge=0, le=1000, description="Open tickets at most")
    active: bool = True
    sessions: int = Field(
        default=0,
        ge=0,
        description="Login tokens carry the value they were issued with; raising it (logout, "
        "a new password, another role or departments, deactivation) ends every one of them",
    )
    tour_done: bool = Field(
        default=False, description="The agent said not to show the inbox's first-run tour again"
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("an email address needs an @")
        return value.strip().lower()


class DepartmentView(BusModel):
    """A queue with its own people, assignment policy and group settings."""

    id: str = Field(pattern=SLUG, description="Slug, e.g. 'billing'")
    name: str = Field(min_length=1, max_length=200)
    signature: str = ""
    policy: Policy = "least_loaded"
    fallback_policy: Policy = Field(default="least_loaded", description="When sticky fails")
    assign_follow_ups: bool = Field(default=True, description="Reopened: keep the last owner")
    assignment_timeout_minutes: int | None = Field(default=None, ge=1)
    reopen_days: int | None = Field(
        default=None, ge=0, description="A closed ticket's thread reopens it within N days"
    )
    offline_grace_minutes: int = Field(default=10, ge=0)
    calendar: BusinessCalendar | None = Field(
        default=None, description="Working hours SLA time is counted in; None: around the clock"
    )
    acknowledge: bool = Field(
        default=False, description="Tell a new ticket's customer its number and when to expect us"
    )
    acknowledgement: dict[str, str] = Field(
        default_factory=dict,
        description="Acknowledgement text per language ('ru', 'en'); the built-in one if unset",
    )
    remind_pending_hours: int | None = Field(
        default=None, ge=1, description="Remind a customer who leaves a pending ticket silent"
    )
    reminder: dict[str, str] = Field(default_factory=dict, description="Reminder per language")
    resolve_pending_days: int | None = Field(
        default=None, ge=1, description="Resolve a ticket pending on a silent customer"
    )
    close_resolved_days: int | None = Field(default=None, ge=1, description="Close a resolved one")
    csat: bool = Field(
        default=False, description="Ask the customer to rate a resolved ticket (1-5), in-channel"
    )


class ReplyTemplate(BusModel):
    """A canned answer; `{customer_name}`, `{ticket_number}`, `{agent_name}`, `{greeting}` and
    `{customer_time}` (in the customer's local time) are filled in."""

    id: str = Field(default_factory=new_id)
    name: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=20_000)
    department: str | None = Field(default=None, description="None: every department")
    language: str | None = None


class RuleMatch(BusModel):
    """Every condition given must hold; lists match when any element does."""

    channels: list[Channel] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    recipients: list[str] = Field(default_factory=list, description="Email addresses written to")
    keywords: list[str] = Field(default_factory=list, description="Case-insensitive words")
    pattern: str | None = Field(default=None, description="Regex over subject and text")
    languages: list[str] = Field(default_factory=list)
    contact_tags: list[str] = Field(default_factory=list)
    department_hints: list[str] = Field(default_factory=list, description="Bot menu, widget form")
    menu_paths: list[str] = Field(
        default_factory=list,
        description="Bot menu paths chosen, node ids joined by '/' ('billing/refund'); a path "
        "matches itself and everything below it",
    )

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:  # not a ValueError: pydantic would let it escape
                raise ValueError(f"not a valid regular expression: {error}") from None
        return value


class RoutingRule(BusModel):
    id: str = Field(default_factory=new_id)
    name: str = Field(min_length=1, max_length=200)
    match: RuleMatch = Field(default_factory=RuleMatch)
    department: str | None = None
    priority: Priority | None = None
    tags: list[str] = Field(default_factory=list)
    stop: bool = Field(default=True, description="First match wins unless this is False")
    enabled: bool = True


class _DirectoryCommand(BusModel):
    name: ClassVar[str]
    actor: str = Field(min_length=1)


class PutAgent(_DirectoryCommand):
    name: ClassVar[str] = "put_agent"
    command: Literal["put_agent"] = "put_agent"
    agent: AgentView
    password_hash: str | None = Field(default=None, description="argon2; None keeps the old")


class PutDepartment(_DirectoryCommand):
    name: ClassVar[str] = "put_department"
    command: Literal["put_department"] = "put_department"
    department: DepartmentView


class PutTemplate(_DirectoryCommand):
    name: ClassVar[str] = "put_template"
    command: Literal["put_template"] = "put_template"
    template: ReplyTemplate


class DeleteTemplate(_DirectoryCommand):
    name: ClassVar[str] = "delete_template"
    command: Literal["delete_template"] = "delete_template"
    template_id: str


class SetRoutingRules(_DirectoryCommand):
    """Replace the whole ordered rule list: order is meaning, so it changes as one."""

    name: ClassVar[str] = "set_rules"
    command: Literal["set_rules"] = "set_rules"
    rules: list[RoutingRule]


class SetSlaPolicies(_DirectoryCommand):
    """Replace the ordered SLA policy list (the first that matches a ticket applies)."""

    name: ClassVar[str] = "set_sla"
    command: Literal["set_sla"] = "set_sla"
    policies: list[SlaPolicy]


class SetMenus(_DirectoryCommand):
    """Replace every account's bot menu (one per channel and account)."""

    name: ClassVar[str] = "set_menus"
    command: Literal["set_menus"] = "set_menus"
    menus: list[Menu]


DirectoryCommand = Annotated[
    PutAgent
    | PutDepartment
    | PutTemplate
    | DeleteTemplate
    | SetRoutingRules
    | SetSlaPolicies
    | SetMenus,
    Field(discriminator="command"),
]
DIRECTORY_COMMAND = TypeAdapter[DirectoryCommand](DirectoryCommand)
Kind = Literal["agent", "department", "template", "rules", "sla", "menus"]


class DirectoryChanged(BusModel):
    """Published on `events.directory.changed` after a directory write commits."""

    id: str = Field(default_factory=new_id)
    type: Literal["directory.changed"] = "directory.changed"
    kind: Kind
    item_id: str
    deleted: bool = False


class Directory(BusModel):
    """The reply to `queries.directory.get`: everything routing and the inbox need."""

    agents: list[AgentView] = Field(default_factory=list)
    departments: list[DepartmentView] = Field(default_factory=list)
    templates: list[ReplyTemplate] = Field(default_factory=list)
    rules: list[RoutingRule] = Field(default_factory=list)
    sla_policies: list[SlaPolicy] = Field(default_factory=list)
    menus: list[Menu] = Field(default_factory=list)


class GetDirectory(BusModel):
    kinds: list[Kind] = Field(default_factory=lambda: list(get_args(Kind)))


class GetCredentials(BusModel):
    """Only the inbox asks this, to check a login."""

    email: str


class Credentials(BusModel):
    agent: AgentView | None = None
    password_hash: str | None = None
