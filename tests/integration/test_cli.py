"""The `relaydesk` command as an operator meets it: up, run, doctor."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client

from contracts import directory as d
from contracts import subjects
from services.inbox.passwords import verify_password
from services.runtime.cli import services_to_start
from services.runtime.nats_server import NatsServer
from tests.integration.processes import ServiceProcess

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


def start_up(
    tmp_path: Path, **extra: str
) -> tuple["subprocess.Popen[str]", dict[str, str], list[str]]:
    """`relaydesk up` with its own data dir and free ports, once every service is ready."""
    env = {
        **os.environ,
        **extra,
        "RELAYDESK_DATA_DIR": str(tmp_path / "var"),
        "RELAYDESK_EMBEDDED_NATS_PORT": "0",
        "RELAYDESK_STORE_PORT": "0",
        "RELAYDESK_ROUTER_PORT": "0",
        "RELAYDESK_REPORTS_PORT": "0",
        "RELAYDESK_PORTAL_PORT": "0",
        "RELAYDESK_INBOX_PORT": "0",
        "RELAYDESK_WEBCHAT_PORT": "0",
        "RELAYDESK_EMAIL_PORT": "0",
        "RELAYDESK_EMAIL_SMTP_PORT": "0",  # no SMTP ingress: many `up`s run side by side
    }
    for unset in ("RELAYDESK_NATS_URL", "RELAYDESK_ADMIN_EMAIL", "RELAYDESK_ADMIN_PASSWORD"):
        env.pop(unset, None)
    up = subprocess.Popen(
        [sys.executable, "-m", "services.runtime.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    health: dict[str, str] = {}
    lines = wait_for_lines(up, lambda: set(health) == set(services_to_start(env)), health)
    if set(health) != {"store", "router", "reports", "portal", "inbox", "webchat", "email"}:
        up.kill()  # a failed start must not leave the stack behind, holding the ports
        finish(up)
        raise AssertionError("".join(lines))
    return up, health, lines


READERS: dict[int, "queue.Queue[str | None]"] = {}  # None: `up`'s output has ended


def next_line(up: "subprocess.Popen[str]", timeout: float) -> str | None:
    """The next line `up` printed, or None after `timeout` seconds or at its end. A thread
    reads the pipe, so a quiet `up` (a service stuck starting) fails the wait in time instead
    of blocking until pytest's own timeout, which would leave `up` and its ports behind."""
    if up.pid not in READERS:
        lines: queue.Queue[str | None] = queue.Queue()
        READERS[up.pid] = lines

        def read() -> None:
            assert up.stdout
            for line in up.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
    try:
        line = READERS[up.pid].get(timeout=timeout)
    except queue.Empty:
        return None
    if line is None:
        READERS[up.pid].put(None)  # the end stays the end for the next reader
    return line


def finish(up: "subprocess.Popen[str]", timeout: float = 30) -> str:
    """Wait for `up` to exit; what it printed since the last line read."""
    up.wait(timeout)
    if up.pid not in READERS:
        return up.stdout.read() if up.stdout else ""
    rest = []
    while (line := next_line(up, timeout)) is not None:
        rest.append(line)
    return "".join(rest)


def wait_for_lines(
    up: "subprocess.Popen[str]",
    done: "Callable[[], bool]",
    health: dict[str, str],
    timeout: float = 30,
) -> list[str]:
    assert up.stdout
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0 and not done():
        line = next_line(up, left)
        if line is None:
            break
        lines.append(line)
        if " ready at " in line:
            service, url = line.split("relaydesk: ", 1)[1].split(" ready at ")
            health[service] = url.strip()
    return lines


def pid_of(parent: int, service: str) -> int:
    for pid in children_of(parent):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if cmdline[-2:] == [service.encode(), b""] or cmdline[-1:] == [service.encode()]:
            return pid
    raise LookupError(service)


def test_up_starts_every_service_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    up, health, _ = start_up(tmp_path)
    for url in health.values():
        assert httpx.get(url, timeout=1).json()["status"] == "ok"
    workers = children_of(up.pid)
    assert len(workers) >= 5  # nats-server, the store, the router, the inbox, the web chat

    up.send_signal(signal.SIGTERM)
    out = finish(up)

    assert up.returncode == 0, out
    assert "relaydesk: stopped" in out
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
    assert (tmp_path / "var" / "nats" / "jetstream").is_dir()
    assert (tmp_path / "var" / "store.sqlite3").exists()


def test_what_up_writes_is_readable_by_its_user_alone(tmp_path: Path) -> None:
    up, _, _ = start_up(tmp_path)
    up.send_signal(signal.SIGTERM)
    finish(up)
    data = tmp_path / "var"

    open_to_others = [
        str(p.relative_to(tmp_path)) for p in [data, *data.rglob("*")] if p.stat().st_mode & 0o077
    ]

    assert (data / "store.sqlite3").exists() and (data / "inbox-secret").exists()
    assert open_to_others == []


def test_metrics_are_refused_to_a_request_without_the_token(tmp_path: Path) -> None:
    up, health, _ = start_up(tmp_path, RELAYDESK_METRICS_TOKEN="metrics-token-123")
    try:
        url = next(iter(health.values())).replace("/healthz", "/metrics")
        anonymous = httpx.get(url, timeout=5)
        scraper = httpx.get(url, timeout=5, headers={"Authorization": "Bearer metrics-token-123"})
    finally:
        up.send_signal(signal.SIGTERM)
        finish(up)

    assert anonymous.status_code == 401
    assert scraper.status_code == 200 and "relaydesk_" in scraper.text


def read_until(up: "subprocess.Popen[str]", text: str, lines: list[str]) -> None:
    assert up.stdout
    deadline = time.monotonic() + 30
    while not any(text in line for line in lines) and (left := deadline - time.monotonic()) > 0:
        line = next_line(up, left)
        if line is None:
            return
        lines.append(line)


def test_a_first_up_creates_an_admin_and_shows_the_password_once(tmp_path: Path) -> None:
    first, _, lines = start_up(tmp_path)
    read_until(first, "relaydesk: admin", lines)
    first.send_signal(signal.SIGTERM)
    finish(first)
    again, _, more = start_up(tmp_path)
    read_until(again, "relaydesk: accounts:", more)
    again.send_signal(signal.SIGTERM)
    finish(again)

    created = [x for x in lines if "admin admin@relaydesk.local created; password: " in x]
    assert len(created) == 1, lines
    password = created[0].split("password: ")[1].split()[0]
    assert len(password) >= 12
    assert not any(password in x for x in more)
    assert any("accounts: an admin exists" in x for x in more), more


def test_up_restarts_a_service_that_crashes(tmp_path: Path) -> None:
    up, health, _ = start_up(tmp_path)
    store = pid_of(up.pid, "store")
    health.pop("store")

    os.kill(store, signal.SIGKILL)
    lines = wait_for_lines(up, lambda: "store" in health, health)

    assert any("[up] store exited with -9; restarting" in line for line in lines), lines
    assert pid_of(up.pid, "store") != store
    assert httpx.get(health["store"], timeout=1).json()["status"] == "ok"
    up.send_signal(signal.SIGTERM)
    finish(up)


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


async def test_agent_and_department_add_write_through_the_store(
    nats_server: NatsServer, nc: Client, tmp_path: Path
) -> None:
    store = ServiceProcess("store", nats_server.url, tmp_path / "var").start()
    env = {"RELAYDESK_NATS_URL": nats_server.url}
    try:
        dept = relaydesk("department", "add", "billing", "--name", "Оплата", "--policy",
                         "round_robin", env=env)  # fmt: skip
        agent = relaydesk(
            "agent", "add", "--email", "Olga@Desk.test", "--name", "Ольга", "--department",
            "billing", "--language", "ru", "--password", "длинный-пароль", env=env,
        )  # fmt: skip
        unknown = relaydesk(
            "agent", "add", "--email", "x@desk.test", "--name", "X", "--department", "nope",
            "--password", "long-enough", env=env,
        )  # fmt: skip
        reply = await nc.request(
            subjects.directory_query("credentials"),
            d.GetCredentials(email="olga@desk.test").to_bytes(),
            timeout=5,
        )
    finally:
        store.stop()
    found = d.Credentials.model_validate_json(reply.data)

    assert dept.returncode == 0 and "department billing saved" in dept.stdout
    assert agent.returncode == 0, agent.stderr
    assert found.agent is not None and found.agent.departments == ["billing"]
    assert verify_password(found.password_hash, "длинный-пароль")
    assert unknown.returncode == 1 and "no such department: nope" in unknown.stderr


async def test_the_embedded_nats_admits_only_the_desks_own_services(tmp_path: Path) -> None:
    up, _, lines = start_up(tmp_path)
    try:
        said = next(line for line in lines if "embedded NATS at" in line)
        url = said.split("embedded NATS at ", 1)[1].split()[0]
        password = (tmp_path / "var" / "nats-password").read_text().strip()
        with pytest.raises(Exception, match=r"[Aa]uthorization"):
            await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0)
        desk = await nats.connect(url.replace("nats://", f"nats://relaydesk:{password}@"))
        await desk.close()
    finally:
        up.send_signal(signal.SIGTERM)
        out = finish(up)

    assert password not in out and password not in said
    assert (tmp_path / "var" / "nats-password").stat().st_mode & 0o077 == 0
