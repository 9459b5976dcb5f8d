"""Log lines: one per event, service named, secrets masked."""

import logging

import pytest

from services.runtime.logging import LineFormatter, mask_secrets


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("mongodb://relay:s3cr3t@db:27017/x", "mongodb://relay:***@db:27017/x"),
        (
            "POST https://api.telegram.org/bot123456:ABC-def_9/sendMessage",
            "POST https://api.telegram.org/bot***/sendMessage",
        ),
        ("token=abc123 next", "token=*** next"),
        ('{"secret": "hunter2"}', '{"secret": "***"}'),
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln", "Authorization: Bearer ***"),
        (
            "GET /api/v1/stream?token=eyJhbGciOi.eyJzdWIi.c2ln&last_event_id=5",
            "GET /api/v1/stream?token=***&last_event_id=5",
        ),
    ],
)
def test_secrets_never_reach_a_log_line(raw: str, masked: str) -> None:
    assert mask_secrets(raw) == masked


def test_a_record_is_one_line_with_the_service_name() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "плохо\nочень", None, None)

    line = LineFormatter("store", as_json=False).format(record)

    assert "\n" not in line and " store x: плохо ⏎ очень" in line


def test_json_lines_keep_unicode_readable() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "Привет", None, None)

    line = LineFormatter("inbox", as_json=True).format(record)

    assert '"service": "inbox"' in line and "Привет" in line
