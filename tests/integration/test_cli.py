"""The `relaydesk` command as an operator meets it: up, run, doctor."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.runtime.cli import services_to_start
from services.runtime.nats_server import NatsServer

pytestmark = pytest.mark.integration


def relaydesk(
    *args: str, env: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.runtime.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def children_of(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = next((line.split()[1] for line in text.splitlines() if line.startswith("PPid:")), "")
        if ppid == str(pid):
            found.append(int(status.parent.name))
    return found


def test_up_starts_every_service_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RELAYDESK_DATA_DIR": str(tmp_path / "var"),
        "RELAYDESK_EMBEDDED_NATS_PORT": "0",
        "RELAYDESK_STORE_PORT": "0",
        "RELAYDESK_ROUTER_PORT": "0",
    }
    env.pop("RELAYDESK_NATS_URL", None)
    up = subprocess.Popen(
        [sys.executable, "-m", "services.runtime.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert up.stdout
    health: dict[str, str] = {}
    lines: list[str] = []
    deadline = time.monotonic() + 30
    expected = set(services_to_start(env))
    while time.monotonic() < deadline and set(health) != expected:
        line = up.stdout.readline()
        lines.append(line)
        if " ready at " in line:
            service, url = line.split("relaydesk: ", 1)[1].split(" ready at ")
            health[service] = url.strip()
    assert set(health) == expected == {"store", "router"}, "".join(lines)
    for url in health.values():
        for _ in range(100):
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        assert httpx.get(url, timeout=1).json()["status"] == "ok"
    workers = children_of(up.pid)
    assert len(workers) >= 3  # nats-server, the store and the router

    up.send_signal(signal.SIGTERM)
    out, _ = up.communicate(timeout=30)

    assert up.returncode == 0, out
    assert "relaydesk: stopped" in out
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
    assert (tmp_path / "var" / "nats" / "jetstream").is_dir()
    assert (tmp_path / "var" / "store.sqlite3").exists()


def test_a_service_against_an_unreachable_nats_fails_fast_in_one_line(tmp_path: Path) -> None:
    started = time.monotonic()

    result = relaydesk(
        "run",
        "store",
        env={"RELAYDESK_NATS_URL": "nats://127.0.0.1:1", "RELAYDESK_DATA_DIR": str(tmp_path)},
    )

    assert time.monotonic() - started < 10
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip().splitlines()[0]]
    assert "cannot reach NATS at nats://127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_store_against_an_unreachable_mongodb_fails_fast_in_one_line(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    result = relaydesk(
        "run",
        "store",
        env={
            "RELAYDESK_NATS_URL": nats_server.url,
            "RELAYDESK_DATA_DIR": str(tmp_path),
            "RELAYDESK_MONGO_URI": "mongodb://relay:hunter2@127.0.0.1:1/?serverSelectionTimeoutMS=1000",
        },
    )

    assert result.returncode == 2
    assert "cannot reach MongoDB at mongodb://relay:***@127.0.0.1:1" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_says_what_is_wrong_in_plain_words(tmp_path: Path) -> None:
    result = relaydesk(
        "doctor",
        env={"RELAYDESK_NATS_URL": "nats://127.0.0.1:1", "RELAYDESK_DATA_DIR": str(tmp_path)},
    )

    assert result.returncode == 1
    assert "PROBLEM  cannot reach NATS at nats://127.0.0.1:1" in result.stdout
    assert "ok       data dir" in result.stdout


def test_doctor_is_happy_with_a_working_setup(nats_server: NatsServer, tmp_path: Path) -> None:
    result = relaydesk(
        "doctor", env={"RELAYDESK_NATS_URL": nats_server.url, "RELAYDESK_DATA_DIR": str(tmp_path)}
    )

    assert result.returncode == 0, result.stdout
    assert f"ok       NATS at {nats_server.url} with JetStream" in result.stdout
