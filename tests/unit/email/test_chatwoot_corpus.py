"""Chatwoot's mail fixtures: every one parses, and its auto-replies, bounces and threading
headers are read as what they are."""

from pathlib import Path

import pytest

from channels.email.mime import parse
from tests.unit.email.corpus import CHATWOOT, ROOT

pytestmark = pytest.mark.unit


def _mail(name: str) -> bytes:
    return (ROOT / "chatwoot" / name).read_bytes()


@pytest.mark.parametrize("eml", CHATWOOT, ids=lambda p: p.name)
def test_every_fixture_parses_with_a_message_id(eml: Path) -> None:
    mail = parse(eml.read_bytes())

    assert mail.message_id


@pytest.mark.parametrize("name", ["auto_reply.eml", "auto_reply_with_auto_submitted.eml"])
def test_auto_replies_are_marked(name: str) -> None:
    assert parse(_mail(name)).kind == "auto-reply"


def test_a_gmail_bounce_names_the_returned_mail_and_the_servers_reason() -> None:
    mail = parse(_mail("bounced_gmail.eml"))

    assert mail.kind == "bounce"
    assert mail.bounce is not None
    assert mail.bounce.original_id == (
        "conversation/93775311-9416-4428-964b-862001f8a8b2/messages/27855337@gmail.com"
    )
    assert mail.bounce.reason.startswith("550 5.1.1")


def test_a_bounce_without_from_is_still_a_bounce_with_its_reason() -> None:
    mail = parse(_mail("bounced_with_no_from.eml"))

    assert mail.kind == "bounce"
    assert mail.bounce is not None
    assert "Recipient address rejected" in mail.bounce.reason


@pytest.mark.parametrize(
    "name", ["only_text.eml", "only_html.eml", "support.eml", "multiple_attachments.eml"]
)
def test_a_persons_mail_is_of_no_special_kind(name: str) -> None:
    assert parse(_mail(name)).kind is None


def test_in_reply_to_is_the_nearest_thread_id() -> None:
    mail = parse(_mail("in_reply_to.eml"))

    assert mail.thread_ids[0] == "0CB459E0-0336-41DA-BC88-E6E28C697DDB@chatwoot.com"


def test_references_are_thread_ids_newest_first_and_the_root_is_the_oldest() -> None:
    mail = parse(_mail("mail_with_references.eml"))

    assert len(mail.references) == 2
    assert mail.thread_ids[0] == mail.in_reply_to[0]
    assert mail.root_id == mail.references[0]


def test_inline_images_are_files_with_their_content_id() -> None:
    mail = parse(_mail("mail_with_inline_images.eml"))

    inline = [f for f in mail.files if f.content_id]
    assert inline
    assert all(f.inline for f in inline)  # the fixture carries the parts without their bytes
    assert mail.html is not None and "cid:" in mail.html
