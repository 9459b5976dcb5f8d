"""Settings every service shares (prefix `RELAYDESK_`), read once at the edge."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


class BaseServiceSettings(BaseSettings):
    """`RELAYDESK_NATS_URL`, `RELAYDESK_DATA_DIR`, `RELAYDESK_LOG_LEVEL`, …"""

    model_config = SettingsConfigDict(env_prefix="RELAYDESK_", extra="ignore")

    nats_url: str = Field(DEFAULT_NATS_URL, description="NATS server(s), comma separated")
    data_dir: Path = Field(Path("var"), description="Embedded NATS and SQLite data")
    log_level: str = Field("INFO", description="DEBUG shows one line per bus message")
    log_format: str = Field("text", description="`text` for people, `json` for collectors")
    js_replicas: int = Field(
        1, ge=1, le=5, description="JetStream stream replicas (3 on a cluster)"
    )
    js_capped: bool = Field(
        False, description="Cap each stream at its size in contracts/streams.py (reserves disk)"
    )
    connect_timeout: float = Field(3.0, gt=0, description="Seconds before giving up on NATS")
    host: str = Field("127.0.0.1", description="Interface the HTTP endpoints bind to")
    rating_secret: SecretStr | None = Field(
        None,
        description="Signs the rating links in mail (email) and checks them (webchat); unset: "
        "a key kept in <data dir>/rating-secret, which both read on one machine",
    )
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token `/metrics` requires; unset: local requests only"
    )

    @property
    def nats_servers(self) -> list[str]:
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]


class UpSettings(BaseServiceSettings):
    """What `relaydesk up` adds: an embedded NATS when no `RELAYDESK_NATS_URL` is given."""

    nats_url: str = Field("", description="Empty: `up` starts an embedded nats-server")
    embedded_nats_port: int = Field(4222, ge=0, description="0 picks a free port")
    restart_backoff_max: float = Field(30.0, gt=0, description="Longest wait before a restart")
