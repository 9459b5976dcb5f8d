"""Portal settings (`RELAYDESK_PORTAL_*`)."""

from pydantic import Field, SecretStr

from services.runtime.config import BaseServiceSettings


class PortalSettings(BaseServiceSettings):
    portal_port: int = Field(8089, ge=0, description="The portal's page, API, /healthz, /metrics")
    portal_url: str = Field(
        "http://127.0.0.1:8089", description="The portal's public address, in the mailed links"
    )
    portal_secret: SecretStr | None = Field(
        None, description="Signs links and sessions; unset: a key kept in the data directory"
    )
    portal_link_minutes: int = Field(30, ge=1, le=1440, description="A sign-in link's life")
    portal_session_hours: int = Field(12, ge=1, le=720, description="A signed-in session's life")
    portal_mail_from: str = Field("support@relaydesk.local", description="From of the link mail")
    portal_smtp_host: str | None = Field(
        None, description="SMTP server for the link mail; unset: .eml files in <data>/mail/portal"
    )
    portal_smtp_port: int = Field(25, ge=1, description="Its port (plain SMTP)")
