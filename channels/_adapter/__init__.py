"""What every channel adapter shares, written once: the webhook pipeline (`webhook.py`) and
the intake behind it and behind pollers (`intake.py`), publishing before the platform hears
"OK" (`inbound.py`), delivering replies in order per chat, part by part, with retries, rate
limits and exactly-once records (`outbound.py`, `capabilities.py`, `outcome.py`), delivery
reports and receipts (`delivery.py`), agents typing (`typing.py`), and what runs until
shutdown (`running.py`). A channel brings its verifier, its normalizer
(update -> `InboundMessage`), its capabilities and a function sending one part."""
