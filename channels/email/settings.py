"""Email settings (`RELAYDESK_EMAIL_*`): the mailboxes, the SMTP ingress, the size limit.

With no mailbox configured the service still runs one demo account, `support@relaydesk.local`,
reached through the SMTP ingress, whose replies are written as `.eml` files under
`<data dir>/mail/outbox/support/`: `make run` shows the whole channel with nothing to set.
"""

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from services.runtime.config import BaseServiceSettings

DEMO_ADDRESS = "support@relaydesk.local"


class ImapConfig(BaseModel):
    host: str
    port: int = 993
    tls: Literal["ssl", "none"] = Field(
        "ssl", description="aioimaplib speaks IMAPS (993) or plain; no STARTTLS"
    )
    user: str
    password: SecretStr
    folder: str = "INBOX"
    after: Literal["keep", "move"] = Field(
        "keep", description="keep: leave read mail on the server (progress is by UID); move"
    )
    move_to: str = Field("Relay Desk", description="Folder read mail is moved to (after=move)")
    poll_seconds: float = Field(60.0, gt=0, description="Without IDLE: seconds between looks")


class SmtpConfig(BaseModel):
    host: str
    port: int = 587
    tls: Literal["ssl", "starttls", "none"] = "starttls"
    user: str | None = None
    password: SecretStr | None = None
    timeout: float = Field(60.0, gt=0)


class MailAccount(BaseModel):
    account: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    addresses: list[str] = Field(min_length=1, description="The first is the From of replies")
    name: str = Field("Support", description="Sender name; a department's name replaces it")
    imap: ImapConfig | None = None
    smtp: SmtpConfig | None = Field(None, description="None: replies are written as .eml files")
    signature: str = Field("", description="Signs replies whose department has none")
    copy_cc: bool = Field(True, description="Copy the customer's Cc addresses on replies")

    @field_validator("addresses")
    @classmethod
    def _lowercase(cls, value: list[str]) -> list[str]:
        return [a.strip().lower() for a in value]

    @property
    def address(self) -> str:
        return self.addresses[0]


class EmailSettings(BaseServiceSettings):
    email_accounts: list[MailAccount] = Field(
        default_factory=list,
        description='JSON: [{"account", "addresses", "name", "imap": {…}, "smtp": {…}}, …]; '
        "empty: the demo account support@relaydesk.local",
    )
    email_smtp_port: int = Field(2525, ge=0, description="SMTP ingress port (0: off)")
    email_max_mb: int = Field(25, ge=1, le=200, description="Largest mail accepted (552 above)")
    email_port: int = Field(8085, ge=0, description="/healthz and /metrics")
    email_rating_url: str = Field(
        "http://127.0.0.1:8081",
        description="Where customers' rating links point: the web chat service's public URL",
    )
    email_hostname: str = Field(
        "relaydesk.local", description="Our name in SMTP greetings and Message-IDs"
    )

    @property
    def accounts(self) -> list[MailAccount]:
        return self.email_accounts or [MailAccount(account="support", addresses=[DEMO_ADDRESS])]
