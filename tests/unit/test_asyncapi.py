"""The committed AsyncAPI document is what the FastStream apps generate today."""

from services.runtime.cli import ASYNCAPI_PATH, render_asyncapi


def test_asyncapi_document_is_up_to_date() -> None:
    assert ASYNCAPI_PATH.read_text() == render_asyncapi(), "run `make asyncapi` and commit it"


def test_asyncapi_document_describes_the_store_commands() -> None:
    text = ASYNCAPI_PATH.read_text()

    assert "commands.ticket.*" in text and "AddReply" in text
