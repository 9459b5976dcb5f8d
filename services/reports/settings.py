"""Reports service settings (`RELAYDESK_REPORTS_*`)."""

from pydantic import Field

from services.runtime.config import BaseServiceSettings


class ReportsSettings(BaseServiceSettings):
    reports_port: int = Field(8088, ge=0, description="Reports /healthz and /metrics")
    reports_batch_size: int = Field(2000, ge=1, description="Events folded into one write")
