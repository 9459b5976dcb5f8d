"""VK settings (`RELAYDESK_VK_*`)."""

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

from services.runtime.config import BaseServiceSettings


class GroupConfig(BaseModel):
    account: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    group_id: int = Field(gt=0)
    token: SecretStr = Field(description="The community's access token (messages rights)")
    confirmation: str = Field("", description="The Callback API confirmation code")
    secret: SecretStr = Field(SecretStr(""), description="The Callback API secret key")


class VkSettings(BaseServiceSettings):
    vk_groups: list[GroupConfig] = Field(
        default_factory=list,
        description='JSON: [{"account", "group_id", "token", "confirmation", "secret"}, …]',
    )
    vk_mode: Literal["callback", "longpoll"] = "callback"
    vk_port: int = Field(8083, ge=0, description="Callback API, /healthz and /metrics")
    vk_api_base: str = Field(
        "https://api.vk.ru/method/", description="VK API base URL (tests: a local fake)"
    )
    vk_api_version: str = "5.199"
    vk_rate: float = Field(20.0, gt=0, description="API calls per second per community")
    vk_max_file_mb: int = Field(
        50, ge=1, le=2000, description="Customer files larger than this stay a reference only"
    )

    @model_validator(mode="after")
    def _callbacks_are_verified(self) -> "VkSettings":
        """Without a secret key anyone could post events in the community's name."""
        if self.vk_mode == "callback":
            for group in self.vk_groups:
                if len(group.secret.get_secret_value()) < 16 or not group.confirmation:
                    raise ValueError(
                        f"community {group.account!r}: the Callback API needs its "
                        "confirmation code and a secret key of at least 16 characters "
                        "(or set RELAYDESK_VK_MODE=longpoll)"
                    )
        return self
