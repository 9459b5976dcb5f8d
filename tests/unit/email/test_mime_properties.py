"""Whatever happens to a mail's headers, charsets and boundaries on the way, the parser
returns what it could read and never raises."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.email.mime import parse

pytestmark = pytest.mark.unit

BASE = (
    b"From: =?koi8-r?B?6dfBzg==?= <ivan@example.ru>\r\nTo: support@relaydesk.local\r\n"
    b"Subject: =?utf-8?B?0JLQvtC/0YDQvtGB?=\r\nMessage-ID: <a@b>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
    b"--XYZ\r\nContent-Type: text/plain; charset=windows-1251\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n=C7=E4=F0=E0=E2=F1=F2=E2=F3=E9=F2=E5\r\n"
    b"--XYZ\r\nContent-Type: application/pdf; name*=UTF-8''%D0%A1%D1%87%D1%91%D1%82.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--XYZ--\r\n"
)
CHARSETS = ["koi8-r", "windows-1251", "utf-8", "x-unknown", "", "utf-7", "iso-2022-jp", "\x00"]


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    cut=st.integers(0, len(BASE)),
    junk=st.binary(max_size=40),
    charset=st.sampled_from(CHARSETS),
    boundary=st.text(max_size=8),
)
def test_mutated_mail_never_crashes_the_parser(
    cut: int, junk: bytes, charset: str, boundary: str
) -> None:
    raw = BASE.replace(b"windows-1251", charset.encode("utf-8", "replace"))
    raw = raw.replace(b"XYZ", boundary.encode("utf-8", "replace"), 1)
    raw = raw[:cut] + junk + raw[cut:]

    mail = parse(raw)

    assert mail.message_id


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_to_a_mail_with_an_id(raw: bytes) -> None:
    assert parse(raw).message_id


def test_a_hostile_nest_of_parts_is_kept_whole_not_walked() -> None:
    depth = 200
    head = "".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n' for n in range(depth)
    )
    raw = ("From: a@example.com\r\n" + head + "Content-Type: text/plain\r\n\r\nhi\r\n").encode()

    mail = parse(raw)

    assert any("nested deeper" in d for d in mail.defects)
    assert [f.name for f in mail.files] == ["nested.eml"]
