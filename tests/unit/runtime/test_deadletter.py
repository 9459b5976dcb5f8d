"""How failures are described and spaced out."""

import pytest
from pydantic import ValidationError

from contracts.messages import InboundMessage
from services.runtime.deadletter import describe, retry_delay


@pytest.mark.parametrize(("delivered", "delay"), [(1, 0.5), (2, 2.0), (3, 5.0), (9, 5.0)])
def test_retries_follow_the_backoff_then_repeat_its_last_step(delivered: int, delay: float) -> None:
    assert retry_delay(delivered, (0.5, 2.0, 5.0)) == delay


def test_a_validation_error_is_described_field_by_field_on_one_line() -> None:
    with pytest.raises(ValidationError) as error:
        InboundMessage.model_validate({"channel": "telegram"})

    reason = describe(error.value)

    assert reason.startswith("invalid InboundMessage: account: Field required;")
    assert "\n" not in reason


def test_any_other_error_is_named_with_its_message() -> None:
    assert (
        describe(ValueError("нет такого чата\nстрока 2")) == "ValueError: нет такого чата строка 2"
    )
