"""One line per event, the service name in each, secrets masked."""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# Credentials that might reach a log line through a URL or an exception message.
_SECRETS = re.compile(
    r"(?P<k>(?:token|secret|password|passwd|auth|apikey|api_key)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;]+"
    r"|(?P<u>://[^:/@\s]+:)[^@\s]+(?=@)"
    r"|(?P<b>/bot)\d+:[A-Za-z0-9_-]+"
    r"|(?P<j>Bearer\s+)[A-Za-z0-9._~+/=-]+",
    re.IGNORECASE,
)


def mask_secrets(text: str) -> str:
    """Replace credentials in `text` with `***` (key=value pairs, URL passwords, bot tokens)."""

    def repl(m: re.Match[str]) -> str:
        prefix = m.group("k") or m.group("u") or m.group("b") or m.group("j") or ""
        return f"{prefix}***"

    return _SECRETS.sub(repl, text)


class LineFormatter(logging.Formatter):
    def __init__(self, service: str, as_json: bool) -> None:
        super().__init__()
        self.service = service
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            # One line even for errors: the traceback's last line says what happened.
            message = f"{message} | {self.formatException(record.exc_info).splitlines()[-1]}"
        message = mask_secrets(message).replace("\n", " ⏎ ")
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        if self.as_json:
            entry: dict[str, Any] = {
                "ts": when,
                "level": record.levelname.lower(),
                "service": self.service,
                "logger": record.name,
                "msg": message,
            }
            return json.dumps(entry, ensure_ascii=False)
        return f"{when} {record.levelname:<7} {self.service} {record.name}: {message}"


def configure_logging(service: str, level: str = "INFO", fmt: str = "text") -> logging.Logger:
    """Route every logger (ours, FastStream's, uvicorn's) through one line formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter(service, as_json=fmt == "json"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream", "nats"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # The access log says nothing a metric does not; keep it out of production volumes.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return logging.getLogger(f"relaydesk.{service}")
