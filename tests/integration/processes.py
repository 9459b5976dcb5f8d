"""Run services as real OS processes, as production does, for kill and replica tests."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

LISTENING = re.compile(r"listening on (http://\S+)")


class ServiceProcess:
    def __init__(self, name: str, nats_url: str, data_dir: Path, **env: str) -> None:
        self.name = name
        self.env = {
            **os.environ,
            "RELAYDESK_NATS_URL": nats_url,
            "RELAYDESK_DATA_DIR": str(data_dir),
            f"RELAYDESK_{name.upper()}_PORT": "0",
            **env,
        }
        self.process: subprocess.Popen[str] | None = None
        self.url: str | None = None
        self.lines: list[str] = []

    def start(self, timeout: float = 20.0) -> "ServiceProcess":
        self.url = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.runtime.cli", "run", self.name],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.url and self.healthy():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not become healthy:\n" + "\n".join(self.lines[-20:]))

    def _read(self, process: "subprocess.Popen[str]") -> None:
        assert process.stdout
        for line in process.stdout:
            self.lines.append(line.rstrip())
            if (m := LISTENING.search(line)) and self.url is None:
                self.url = m.group(1)

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
