"""Viber settings (`RELAYDESK_VIBER_*`)."""

from pydantic import BaseModel, Field, SecretStr

from services.runtime.config import BaseServiceSettings


class ViberBot(BaseModel):
    account: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    token: SecretStr = Field(description="The bot's auth token; also the webhook signing key")
    name: str = Field("Support", max_length=28, description="Sender name (Viber: 28 at most)")
    avatar: str | None = Field(None, description="Sender avatar URL")
    welcome: str = Field(
        "", description="Sent when a customer opens the chat (conversation_started); empty: none"
    )


class ViberSettings(BaseServiceSettings):
    viber_bots: list[ViberBot] = Field(
        default_factory=list, description='JSON: [{"account", "token", "name", "avatar"}, …]'
    )
    viber_port: int = Field(8084, ge=0, description="Webhooks, /healthz and /metrics")
    viber_api_base: str = Field(
        "https://chatapi.viber.com/pa/", description="Viber REST API base (tests: a local fake)"
    )
    viber_public_url: str | None = Field(
        None, description="This adapter's public address, from which Viber fetches our files"
    )
    viber_max_file_mb: int = Field(
        50, ge=1, le=2000, description="Customer files larger than this stay a reference only"
    )
