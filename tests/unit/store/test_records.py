"""The outbox batch's stored form."""

from datetime import UTC, datetime

from services.store.records import OutboxBatch, OutboxEntry

AT = datetime(2026, 11, 29, tzinfo=UTC)


def test_an_outbox_batch_round_trips_through_its_stored_form() -> None:
    batch = OutboxBatch(
        [
            OutboxEntry("events.message.created", '{"text": "Привет 👋\\nещё"}'.encode(), "e1"),
            OutboxEntry("outbound.telegram", b'{"text": "a b  c"}', "o1", kind="outbound"),
        ],
        id="b1",
        created_at=AT,
    )

    again = OutboxBatch.from_bytes(batch.to_bytes(), "b1", AT)

    assert again == batch
