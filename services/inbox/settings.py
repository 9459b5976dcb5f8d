"""Inbox settings (`RELAYDESK_INBOX_*`, `RELAYDESK_ADMIN_*`)."""

from pydantic import Field, SecretStr

from services.runtime.config import BaseServiceSettings
from services.runtime.private import stored_secret


class InboxSettings(BaseServiceSettings):
    inbox_port: int = Field(8080, ge=0, description="Inbox API, stream and web UI")
    inbox_secret: SecretStr | None = Field(
        None,
        description="Signs login tokens; unset: generated once into the data dir "
        "(set it when several inbox replicas run)",
    )
    inbox_token_hours: float = Field(12.0, gt=0, description="How long a login token is valid")
    inbox_presence_grace: float = Field(
        15.0, ge=0, description="Seconds after the last stream closes before an agent is offline"
    )
    inbox_presence_ttl: float = Field(
        60.0, gt=0, description="Presence TTL when the inbox creates the bucket (else the router's)"
    )
    inbox_store_timeout: float = Field(5.0, gt=0, description="Seconds to wait for the store")
    inbox_max_file_mb: int = Field(25, ge=1, le=1000, description="Largest file an agent attaches")
    admin_email: str | None = Field(None, description="First admin's login, created by `up`")
    admin_password: SecretStr | None = Field(None, description="Unset: generated and printed once")

    def signing_key(self) -> str:
        if self.inbox_secret is not None:
            return self.inbox_secret.get_secret_value()
        return stored_secret(self.data_dir / "inbox-secret")
