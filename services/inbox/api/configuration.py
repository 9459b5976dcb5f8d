"""Request and response bodies of the configuration API: departments (with calendars),
agents, reply templates, routing rules, SLA policies and bot menus."""

from pydantic import BaseModel, ConfigDict, Field

from contracts.directory import DepartmentView, Menu, ReplyTemplate, Role, RoutingRule
from contracts.service_levels import SlaPolicy
from services.inbox.api.schemas import AgentOut, RequestBody


class TemplateIn(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=20_000)
    department: str | None = None
    language: str | None = Field(default=None, max_length=20)


class AgentIn(RequestBody):
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role = "agent"
    departments: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    capacity: int = Field(default=10, ge=0, le=1000)
    active: bool = True
    password: str | None = Field(
        default=None, min_length=8, max_length=1000, description="Required for a new agent"
    )


class DepartmentIn(DepartmentView):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RulesIn(RequestBody):
    rules: list[RoutingRule]


class DepartmentList(BaseModel):
    items: list[DepartmentView]
    next_cursor: str | None = None


class AgentList(BaseModel):
    items: list[AgentOut]
    next_cursor: str | None = None


class TemplateList(BaseModel):
    items: list[ReplyTemplate]
    next_cursor: str | None = None


class RuleList(BaseModel):
    items: list[RoutingRule]
    next_cursor: str | None = None


class SlaPoliciesIn(RequestBody):
    policies: list[SlaPolicy]


class SlaPolicyList(BaseModel):
    items: list[SlaPolicy]
    next_cursor: str | None = None


class MenusIn(RequestBody):
    menus: list[Menu]


class MenuList(BaseModel):
    items: list[Menu]
    next_cursor: str | None = None
