"""The Prometheus metrics every service exposes on `/metrics`."""

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "relaydesk_messages_total",
    "Messages handled, by service, channel and direction",
    ["service", "channel", "direction"],
)
ERRORS = Counter("relaydesk_errors_total", "Errors, by service and kind", ["service", "kind"])
DEAD_LETTERS = Counter(
    "relaydesk_dead_letters_total", "Messages moved to the dead-letter stream", ["subject"]
)
PROCESSING = Histogram(
    "relaydesk_processing_seconds",
    "Time to handle one message or batch",
    ["service", "step"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CONSUMER_PENDING = Gauge(
    "relaydesk_consumer_pending",
    "Messages waiting in a durable consumer (lag), and unacked ones",
    ["consumer", "kind"],
)
HTTP_REQUESTS = Histogram(
    "relaydesk_http_request_seconds",
    "HTTP API requests, by service, method, route template and status",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
OPEN_STREAMS = Gauge("relaydesk_open_streams", "Live WebSocket streams", ["service"])
PLATFORM_CALLS = Histogram(
    "relaydesk_platform_api_seconds",
    "Calls to a channel platform's API (Bot API, VK, Viber, SMTP), by outcome",
    ["channel", "account", "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DELIVERY_FAILURES = Counter(
    "relaydesk_delivery_failures_total",
    "Outbound attempts that did not deliver, by channel, account and reason",
    ["channel", "account", "reason"],
)
CHANNEL_MESSAGES = Counter(
    "relaydesk_channel_messages_total",
    "Messages a channel adapter took in or delivered, by channel, account and direction",
    ["channel", "account", "direction"],
)
SLA_EVENTS = Counter(
    "relaydesk_sla_events_total",
    "SLA warnings and breaches as the router sees them, by stage and department",
    ["stage", "department"],
)
AGENTS = Gauge("relaydesk_agents", "Agents by presence status, as the router sees them", ["status"])
