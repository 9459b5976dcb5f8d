"""Store settings: `RELAYDESK_MONGO_URI` picks MongoDB, otherwise the embedded SQLite file."""

from pathlib import Path

from pydantic import Field, SecretStr

from services.runtime.config import BaseServiceSettings


class StoreSettings(BaseServiceSettings):
    mongo_uri: SecretStr | None = Field(None, description="MongoDB replica set; unset: SQLite")
    mongo_db: str = Field("relaydesk", description="MongoDB database name")
    store_port: int = Field(8086, ge=0, description="Store /healthz and /metrics")
    store_batch_size: int = Field(500, ge=1, le=5000, description="Inbound messages per write")
    store_outbox_interval: float = Field(1.0, gt=0, description="Seconds between outbox sweeps")

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "store.sqlite3"
