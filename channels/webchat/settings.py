"""Web chat settings (`RELAYDESK_WEBCHAT_*`)."""

from pydantic import BaseModel, Field, SecretStr

from services.runtime.config import BaseServiceSettings

FILE_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


class Topic(BaseModel):
    """A department the visitor may choose in the pre-chat form."""

    id: str
    name: str


class Site(BaseModel):
    account: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    origins: list[str] = Field(default_factory=lambda: ["*"], description="Allowed Origin values")
    greeting: str = "Hello! How can we help?"
    prechat: bool = Field(False, description="Ask name, email and topic before the first message")
    departments: list[Topic] = Field(default_factory=list, description="Topics to choose from")


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
    webchat_ip_connections: int = Field(
        100, ge=1, description="Open chat connections one client address may keep"
    )
    webchat_ip_rate: float = Field(
        20.0, gt=0, description="Messages per second one client address may send, all visitors"
    )
    webchat_ip_burst: int = Field(200, ge=1, description="…and how many at once before that")
    webchat_max_file_mb: int = Field(10, ge=1, description="Largest file a visitor may upload")
    webchat_upload_visitor_mb: int = Field(
        50, ge=1, description="Megabytes one visitor may upload per hour"
    )
    webchat_upload_address_mb: int = Field(
        200, ge=1, description="Megabytes one client address may upload per hour, all visitors"
    )
    webchat_upload_storage_mb: int = Field(
        2000, ge=1, description="Space uploads not yet sent in a message may take altogether"
    )
    webchat_upload_ttl_hours: float = Field(
        24.0, gt=0, description="Hours an upload no message used is kept"
    )
    webchat_file_types: list[str] = Field(
        default_factory=lambda: list(FILE_TYPES),
        description="Content types a visitor may upload (JSON list)",
    )
