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
    portal_mail_from: str = Field(
        "support@relaydesk.local", description="From of the portal's mail"
    )
    portal_smtp_host: str | None = Field(
        None, description="SMTP server for the portal's mail; unset: .eml in <data>/mail/portal"
    )
    portal_smtp_port: int = Field(25, ge=1, description="Its port (plain SMTP)")
    portal_summary_weekday: int = Field(
        0, ge=0, le=6, description="The weekly summary's day (0 Monday … 6 Sunday)"
    )
    portal_summary_hour: int = Field(9, ge=0, le=23, description="Its hour, UTC")
    portal_summary_check_seconds: float = Field(
        300.0, gt=0, description="How often the portal looks for weekly summaries due"
    )
    portal_max_file_mb: int = Field(
        10, ge=1, le=1000, description="Largest file a customer attaches"
    )
