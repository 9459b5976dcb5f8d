"""Web chat settings (`RELAYDESK_WEBCHAT_*`)."""

from pydantic import BaseModel, Field, SecretStr

from services.runtime.config import BaseServiceSettings


class Site(BaseModel):
    account: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    origins: list[str] = Field(default_factory=lambda: ["*"], description="Allowed Origin values")
    greeting: str = "Hello! How can we help?"


class WebchatSettings(BaseServiceSettings):
    webchat_port: int = Field(8081, ge=0, description="Widget, its WebSocket and the demo page")
    webchat_sites: list[Site] = Field(
        default_factory=lambda: [Site(account="demo")],
        description='JSON: [{"account", "origins", "greeting"}, …]',
    )
    webchat_secret: SecretStr | None = Field(
        None, description="Signs visitor tokens; unset: generated once into the data dir"
    )
    webchat_max_chars: int = Field(4000, ge=1, description="Longest message a visitor sends")
