"""Messages through nats-server in one phase of a benchmark, read from its monitoring port.

Counted as nats-server counts them (`/varz`): every message a client sent it (`in_msgs`:
publishes, acks, requests, replies) and every message it delivered (`out_msgs`: to
subscribers, consumers and KV watchers, JetStream's publish acks). Each is work for the
server and for a client, which is why the count per ticket is a target of its own.
"""

import httpx


def monitoring_args(port: int) -> list[str]:
    """nats-server's flags for an HTTP monitoring port (it listens where clients do)."""
    return ["-m", str(port)]


class NatsTraffic:
    """Start it when a phase starts; `per_message` when it ends."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.started = self._now()

    def _now(self) -> dict[str, int]:
        varz = httpx.get(f"http://127.0.0.1:{self.port}/varz", timeout=5).json()
        return {"in": int(varz["in_msgs"]), "out": int(varz["out_msgs"])}

    def per_message(self, messages: int) -> dict[str, float]:
        """Messages into and out of the server per message of the phase, and their `total`."""
        ended = self._now()
        used = {k: (ended[k] - self.started[k]) / messages for k in ended}
        used["total"] = used["in"] + used["out"]
        return {k: round(v, 1) for k, v in used.items()}
