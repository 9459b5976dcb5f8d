"""The ticket domain rules, without any storage."""

from datetime import UTC, datetime

import pytest

from contracts.messages import Attachment, DeliveryReport, InboundMessage, Sender
from contracts.tickets import ContactView, MessageView, TicketView
from services.store import rules
from services.store.errors import Conflict, Invalid

AT = datetime(2026, 11, 29, tzinfo=UTC)


def ticket(**changes: object) -> TicketView:
    base = TicketView(
        id="t1",
        number=1,
        channel="telegram",
        account="bot",
        thread_key="42",
        contact_id="c1",
        created_at=AT,
        updated_at=AT,
        version=1,
    )
    return base.model_copy(update=changes)


def inbound(text: str = "", subject: str | None = None, **sender: str) -> InboundMessage:
    return InboundMessage(
        channel="email",
        account="support@example.com",
        thread_key="<root@mail>",
        external_id="<m1@mail>",
        sender=Sender(channel_user_id="anna@example.com", **sender),
        text=text,
        subject=subject,
    )


def outbound(status: str | None = None) -> MessageView:
    return MessageView(
        id="m1", ticket_id="t1", direction="outbound", created_at=AT, delivery_status=status
    )


def report(status: str, reason: str | None = None) -> DeliveryReport:
    return DeliveryReport.model_validate(
        {
            "outbound_id": "o1",
            "message_id": "m1",
            "ticket_id": "t1",
            "channel": "telegram",
            "account": "bot",
            "status": status,
            "reason": reason,
        }
    )


@pytest.mark.parametrize(
    ("status", "decision"),
    [("open", "append"), ("pending", "append"), ("resolved", "reopen")],
)
def test_a_customer_message_continues_the_live_ticket(status: str, decision: str) -> None:
    assert rules.decide(ticket(status=status)) == decision


def test_a_thread_without_a_live_ticket_starts_one() -> None:
    assert rules.decide(None) == "create"


def test_a_split_ticket_has_a_thread_of_its_own() -> None:
    original = ticket()
    split = ticket(id="t2", split_from="t1")

    assert rules.thread_of(original) == "telegram:bot:42"
    assert rules.thread_of(split) == "telegram:bot:42#t2"


def test_the_subject_is_the_email_subject_when_there_is_one() -> None:
    assert rules.subject_from(inbound("текст", subject="  Счёт №5  ")) == "Счёт №5"


def test_the_subject_is_the_first_non_empty_line_otherwise() -> None:
    assert rules.subject_from(inbound("\n\n  Не работает вход\nподробности")) == "Не работает вход"


def test_a_message_with_only_a_file_is_named_by_the_file() -> None:
    msg = inbound().model_copy(update={"attachments": [Attachment(name="скрин.png", size=1)]})

    assert rules.subject_from(msg) == "скрин.png"


def test_a_change_bumps_the_version_and_the_time() -> None:
    later = datetime(2026, 11, 30, tzinfo=UTC)

    new = rules.changed(ticket(), at=later, status="pending")

    assert (new.status, new.version, new.updated_at) == ("pending", 2, later)


def test_a_stale_version_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        rules.check_version(ticket(version=3), expected=2)


def test_no_expected_version_means_no_check() -> None:
    rules.check_version(ticket(version=3), expected=None)


def test_a_contact_is_enriched_only_with_what_it_lacks() -> None:
    contact = ContactView(id="c1", name="Анна", identities=["email:anna@example.com"])

    enriched = rules.enrich_contact(contact, inbound(display_name="Anna P", email="a@x.ru"))

    assert enriched is not None and (enriched.name, enriched.email) == ("Анна", "a@x.ru")


def test_nothing_new_leaves_the_contact_alone() -> None:
    contact = ContactView(id="c1", name="Анна")

    assert rules.enrich_contact(contact, inbound(display_name="Anna")) is None


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        (None, "sent", "sent"),
        ("sent", "delivered", "delivered"),
        ("delivered", "read", "read"),
        ("read", "sent", None),
        ("delivered", "sent", None),
        (None, "failed", "failed"),
        ("sent", "failed", None),
    ],
)
def test_delivery_status_only_moves_forward(
    current: str | None, incoming: str, expected: str | None
) -> None:
    updated = rules.apply_delivery(outbound(current), report(incoming))

    assert (updated.delivery_status if updated else None) == expected


def test_a_failure_keeps_its_reason() -> None:
    updated = rules.apply_delivery(outbound(), report("failed", "Forbidden: bot was blocked"))

    assert updated is not None and updated.delivery_reason == "Forbidden: bot was blocked"


def test_a_split_needs_messages_of_the_ticket_and_leaves_one_behind() -> None:
    messages = [outbound().model_copy(update={"id": i}) for i in ("a", "b")]

    rules.split_check(ticket(), messages, ["a"])
    with pytest.raises(Invalid, match="not in ticket"):
        rules.split_check(ticket(), messages, ["zzz"])
    with pytest.raises(Invalid, match="at least one"):
        rules.split_check(ticket(), messages, ["a", "b"])


def test_a_ticket_cannot_be_merged_into_itself_or_a_merged_one() -> None:
    with pytest.raises(Invalid, match="itself"):
        rules.merge_check(ticket(), ticket())
    with pytest.raises(Invalid, match="merged away"):
        rules.merge_check(ticket(), ticket(id="t2", merged_into="t3"))
