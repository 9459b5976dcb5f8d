"""Property-based: any JSON sent as an API body or a bus message is accepted or refused with
a validation error naming what is wrong, never with another exception."""

import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts import commands, directory, events, messages, queries
from services.inbox.api import configuration, schemas

FIELDS = ["text", "id", "ticket_id", "command", "type", "status", "department", "agent",
          "version", "channel", "sender", "actor", "message_ids"]  # fmt: skip
KEYS = st.sampled_from(FIELDS) | st.text(max_size=8)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)
CHECKS = settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
API_BODIES: list[type[BaseModel]] = [
    schemas.Login, schemas.PresenceIn, schemas.NewTicket, schemas.NewMessage, schemas.AssignIn,
    schemas.TransferIn, schemas.StatusIn, schemas.PriorityIn, schemas.TagsIn, schemas.SplitIn,
    schemas.MergeIn, schemas.EscalateIn, schemas.ContactIn, configuration.TemplateIn,
    configuration.AgentIn, configuration.RulesIn, configuration.SlaPoliciesIn,
    configuration.DepartmentIn, configuration.MenusIn,
]  # fmt: skip
BUS: list[TypeAdapter[Any]] = [
    commands.COMMAND,
    directory.DIRECTORY_COMMAND,
    TypeAdapter(messages.InboundMessage),
    TypeAdapter(messages.OutboundMessage),
    TypeAdapter(messages.DeliveryReport),
    TypeAdapter(queries.ListTickets),
]


def refusal(check: Callable[[], object]) -> list[Any] | None:
    """The validation errors `check` raised, or None when it accepted the input."""
    try:
        check()
    except ValidationError as error:
        return list(error.errors())
    return None


@pytest.mark.parametrize("model", API_BODIES, ids=lambda m: m.__name__)
@CHECKS
@given(body=JSON)
def test_any_api_body_is_accepted_or_refused_with_a_validation_error(
    model: type[BaseModel], body: Any
) -> None:
    errors = refusal(lambda: model.model_validate(body))

    assert errors is None or all(e["loc"] is not None and e["msg"] for e in errors)


@pytest.mark.parametrize("adapter", BUS, ids=lambda a: str(a.core_schema.get("ref", a)))
@CHECKS
@given(body=JSON)
def test_any_bus_message_is_accepted_or_refused_with_a_validation_error(
    adapter: TypeAdapter[Any], body: Any
) -> None:
    errors = refusal(lambda: adapter.validate_json(json.dumps(body)))

    assert errors is None or all(e["loc"] is not None and e["msg"] for e in errors)


@CHECKS
@given(raw=st.binary(max_size=200))
def test_any_bytes_on_the_event_subjects_are_parsed_or_refused(raw: bytes) -> None:
    with contextlib.suppress(ValueError):  # a refusal; anything else fails the test
        events.parse_event(raw)
