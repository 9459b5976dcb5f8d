"""Bus models: lossless JSON in every script, clear refusals, unknown fields kept."""

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

import contracts
from contracts import commands as c
from contracts.events import parse_event
from contracts.messages import InboundMessage
from tests.unit.contracts.samples import INBOUND, SAMPLES, TEXTS

FIXTURES = Path(__file__).parents[2] / "fixtures" / "contracts"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_model_round_trips_through_json_losslessly(name: str) -> None:
    model = SAMPLES[name]

    again = type(model).model_validate_json(model.model_dump_json())

    assert again == model


@pytest.mark.parametrize("script", sorted(TEXTS))
def test_text_in_any_script_survives_the_wire_unchanged(script: str) -> None:
    message = INBOUND.model_copy(update={"text": TEXTS[script]})

    wire = message.to_bytes()

    assert TEXTS[script].encode() in wire  # UTF-8 as is, not \\u escapes
    assert InboundMessage.model_validate_json(wire).text == TEXTS[script]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_published_v1_sample_still_parses_and_round_trips(name: str) -> None:
    data = json.loads((FIXTURES / f"{name}.v1.json").read_text())
    model_type: type[BaseModel] = type(SAMPLES[name])

    model = model_type.model_validate(data)
    dumped = model.model_dump(mode="json")

    # Fields added since the sample was published may appear (with defaults); every field
    # the old producer sent must come back unchanged.
    assert subset(data, dumped)


def subset(old: object, new: object) -> bool:
    if isinstance(old, dict) and isinstance(new, dict):
        return all(k in new and subset(v, new[k]) for k, v in old.items())
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(subset(a, b) for a, b in zip(old, new, strict=True))
    return old == new


def test_unknown_fields_from_a_newer_producer_are_kept_on_republish() -> None:
    data = json.loads(INBOUND.to_bytes()) | {"sentiment": "angry"}

    republished = json.loads(InboundMessage.model_validate(data).to_bytes())

    assert republished["sentiment"] == "angry"


def test_a_malformed_inbound_message_is_refused_naming_the_fields() -> None:
    with pytest.raises(ValidationError) as error:
        InboundMessage.model_validate_json(b'{"channel": "fax", "account": "", "text": 5}')

    fields = {".".join(str(p) for p in e["loc"]) for e in error.value.errors()}
    assert {"channel", "account", "thread_key", "external_id", "sender", "text"} <= fields


def test_a_schema_version_from_the_future_is_refused() -> None:
    data = json.loads(INBOUND.to_bytes()) | {"schema_version": 2}

    with pytest.raises(ValidationError, match="schema_version"):
        InboundMessage.model_validate(data)


def test_the_dedupe_key_names_channel_account_and_platform_id() -> None:
    assert INBOUND.dedupe_key == "telegram:support_bot:4711"


def test_events_are_parsed_by_their_type() -> None:
    event = SAMPLES["ticket_assigned"]

    parsed = parse_event(event.model_dump_json())

    assert parsed == event


def test_commands_are_parsed_by_their_name() -> None:
    command = c.COMMAND.validate_json(SAMPLES["add_reply"].model_dump_json())

    assert isinstance(command, c.AddReply)


def test_contracts_exports_exactly_what_it_documents() -> None:
    exported = set(contracts.__all__)

    assert all(hasattr(contracts, name) for name in exported)
    assert {"InboundMessage", "OutboundMessage", "DeliveryReport", "Event"} <= exported
    assert len(exported) == len(contracts.__all__)


def test_a_rule_with_a_broken_regex_is_a_validation_error() -> None:
    from pydantic import ValidationError

    from contracts.directory import RuleMatch

    with pytest.raises(ValidationError, match="not a valid regular expression"):
        RuleMatch(pattern='"\x17(')
