"""The web chat's signatures: one key per purpose. Pure."""

import hashlib
import hmac

from channels.webchat import uploads, visitors
from contracts.messages import Attachment


def test_an_upload_receipt_never_verifies_as_a_visitor_token() -> None:
    key = b"k" * 48
    file = Attachment(name="a.png", content_type="image/png", size=3, ref="sha256:ab")
    signed_text = f"v1|{file.ref}|{file.size}|{file.content_type}"
    shaped = f"{signed_text}.{uploads.receipt(key, 'v1', file)[:32]}"

    assert visitors.visitor_of(shaped, key) is None


def test_a_token_of_the_kind_issued_before_keys_were_separated_still_reads() -> None:
    key = b"k" * 48
    legacy = f"abc.{hmac.new(key, b'abc', hashlib.sha256).hexdigest()[:32]}"

    assert visitors.visitor_of(legacy, key) == "abc"
    assert visitors.sign("abc", key) != legacy
