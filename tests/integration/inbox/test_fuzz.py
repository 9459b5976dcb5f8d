"""API fuzzing: schemathesis generates requests from the OpenAPI document (boundaries, random
data, and chains of calls linked by ids) against a real desk; no request may get a 500, and
every response must match the documented schema for its status."""

import asyncio
import sys
from pathlib import Path

import pytest

from tests.integration.inbox.conftest import Desk

pytestmark = pytest.mark.integration
EXAMPLES = 10  # per operation and phase; more finds more, at about 10 s each


@pytest.mark.timeout(600)
async def test_schemathesis_finds_no_server_errors_or_schema_violations(
    desk: Desk, tmp_path: Path
) -> None:
    token = await desk.login("root")
    await desk.ticket_of("root", await desk.customer_writes("оплата для фаззинга"))
    st = Path(sys.executable).with_name("st")

    process = await asyncio.create_subprocess_exec(
        str(st), "run", f"{desk.url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", "not_a_server_error,response_schema_conformance",
        "--max-examples", str(EXAMPLES),
        "--report-dir", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()

    assert process.returncode == 0, output.decode(errors="replace")[-6000:]
