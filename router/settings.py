"""Router settings (`RELAYDESK_ROUTER_*`)."""

from pathlib import Path

from pydantic import Field

from services.runtime.config import BaseServiceSettings

ACTOR = "router"  # how the router signs its commands in the audit trail


class RouterSettings(BaseServiceSettings):
    router_port: int = Field(8087, ge=0, description="Router /healthz and /metrics")
    router_default_department: str = Field("support", description="Where unmatched tickets go")
    router_sweep_interval: float = Field(
        5.0, gt=0, description="Seconds between queue, timeout and offline-agent sweeps"
    )
    router_presence_ttl: float = Field(
        60.0, gt=0, description="Seconds an agent stays online without a heartbeat"
    )
    router_batch_size: int = Field(1000, ge=1, description="Ticket events decided together")
    router_rules_file: Path | None = Field(
        None, description="YAML list of routing rules, loaded when the store has none yet"
    )
    menus_file: Path | None = Field(
        None, description="YAML list of bot menus (one per account), loaded when there are none"
    )
