"""Stored documents decoded once (services/store/sqlite/decoded.py)."""

import pytest

from contracts.tickets import ContactView
from services.store.sqlite.decoded import Decoded

pytestmark = pytest.mark.unit


def anna(name: str = "Анна 🌸") -> ContactView:
    return ContactView(id="c1", name=name, identities=["telegram:7"])


def test_a_document_read_again_is_the_same_object() -> None:
    contacts = Decoded(ContactView, 8)
    doc = anna().model_dump_json()

    assert contacts(doc) is contacts(doc)


def test_what_a_batch_wrote_is_read_back_as_the_model_it_wrote() -> None:
    contacts = Decoded(ContactView, 8)
    written = anna()

    doc = contacts.encode(written)

    assert contacts(doc) is written and ContactView.model_validate_json(doc) == written


def test_a_changed_document_is_decoded_anew() -> None:
    contacts = Decoded(ContactView, 8)
    contacts(anna().model_dump_json())

    renamed = contacts(anna("Анна Петрова").model_dump_json())

    assert renamed.name == "Анна Петрова"


def test_the_oldest_quarter_goes_when_it_is_full() -> None:
    contacts = Decoded(ContactView, 8)
    docs = [anna(f"№{n}").model_dump_json() for n in range(9)]

    for doc in docs:
        contacts(doc)

    assert list(contacts.known) == docs[2:]
