"""What the portal mails and to whom (services/portal/notices.py), and what a signed-in
customer may see (services/portal/views.py)."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest

from contracts import events as ev
from contracts import queries as q
from contracts.messages import Attachment
from contracts.tickets import ContactView, MessageView, TicketView
from services.portal import notices, views
from services.portal.links import Signed
from services.portal.mail import WIRE
from services.portal.notifier import OUTBOUND

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)  # a Wednesday


def ticket(channel: str = "telegram", status: str = "open") -> TicketView:
    return TicketView.model_validate({
        "id": "t1", "number": 42, "subject": "Заказ 5512", "status": status, "channel": channel,
        "account": "bot", "thread_key": "chat-1", "contact_id": "c1", "created_at": NOW,
        "updated_at": NOW, "version": 1,
    })  # fmt: skip


def message(direction: str, author: str | None, text: str = "Курьер везёт 🚚") -> MessageView:
    return MessageView(
        id="m1", ticket_id="t1", direction=direction, author=author, text=text, created_at=NOW
    )


def created(t: TicketView, m: MessageView) -> ev.MessageCreated:
    return ev.MessageCreated(ticket=t, message=m)


def test_an_agents_reply_on_a_messenger_is_a_reply_notice() -> None:
    assert notices.topic_of(created(ticket(), message("outbound", "agent-olga"))) == "replies"


@pytest.mark.parametrize(
    ("channel", "direction", "author"),
    [
        ("email", "outbound", "agent-olga"),  # the mailbox has the reply already
        ("telegram", "outbound", "bot"),  # a menu or a rating question
        ("telegram", "outbound", "router"),  # an acknowledgement or a follow-up
        ("telegram", "note", "agent-olga"),  # never shown to the customer
        ("telegram", "inbound", "c1"),  # the customer's own words
    ],
)
def test_what_is_not_a_person_answering_on_a_messenger_is_no_notice(
    channel: str, direction: str, author: str
) -> None:
    event = created(ticket(channel), message(direction, author))

    assert notices.topic_of(event) is None


def test_a_ticket_resolved_is_a_notice_and_other_changes_are_not() -> None:
    resolved = ev.TicketChanged(ticket=ticket(status="resolved"), fields=["status"])
    pending = ev.TicketChanged(ticket=ticket(status="pending"), fields=["status"])
    tagged = ev.TicketChanged(ticket=ticket(status="resolved"), fields=["tags"])

    assert [notices.topic_of(e) for e in (resolved, pending, tagged)] == ["resolved", None, None]


def test_notices_go_to_the_mail_identity_first_then_the_address_on_the_contact() -> None:
    both = ContactView(id="c1", email="Other@x.ru", identities=["telegram:1", "email:Maria@X.ru"])
    given = ContactView(id="c2", email=" Visitor@X.ru ", identities=["webchat:v"])
    neither = ContactView(id="c3", identities=["vk:5"])

    found = [notices.address_of(c) for c in (both, given, neither, None)]

    assert found == ["maria@x.ru", "visitor@x.ru", None, None]


def test_the_weekly_slot_is_the_last_one_at_or_before_now() -> None:
    assert notices.last_slot(NOW, 0, 9) == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert notices.last_slot(NOW, 2, 11) == datetime(2026, 11, 25, 11, tzinfo=UTC)
    assert notices.last_slot(NOW, 2, 10) == datetime(2026, 12, 2, 10, tzinfo=UTC)


def test_a_summary_is_due_only_for_slots_after_it_was_chosen() -> None:
    slot = notices.last_slot(NOW, 0, 9)
    chose_before = notices.Prefs(email="m@x.ru", weekly=True, weekly_since=slot - timedelta(1))
    chose_after = notices.Prefs(email="m@x.ru", weekly=True, weekly_since=slot + timedelta(1))

    assert notices.summary_due(chose_before, slot) and not notices.summary_due(chose_after, slot)


def test_keeping_the_weekly_summary_on_keeps_when_it_was_chosen() -> None:
    earlier = NOW - timedelta(days=30)
    prefs = notices.Prefs(email="m@x.ru", weekly=True, weekly_since=earlier)

    kept = prefs.choose(replies=True, resolved=False, weekly=True, now=NOW)
    again = prefs.choose(False, False, False, NOW).choose(False, False, True, NOW)

    assert kept.weekly_since == earlier and kept.replies
    assert again.weekly_since == NOW


def test_a_notice_mail_carries_its_one_click_stop_and_survives_the_wire() -> None:
    subject, body = notices.reply_text(ticket(), "Курьер везёт 🚚", "https://desk/portal/")
    mail = notices.compose(
        "support@desk.ru", "maria@x.ru", "replies", subject, body, ("https://p", "https://o")
    )

    wire = mail.as_bytes(policy=WIRE)
    parsed = message_from_bytes(wire, policy=default)

    assert parsed["Subject"] == "Ответ по обращению / Reply on request №42 Заказ 5512"
    assert parsed["List-Unsubscribe"] == "<https://o>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Курьер везёт 🚚" in text and "https://p" in text


def test_a_long_reply_is_cut_in_the_mail() -> None:
    _, body = notices.reply_text(ticket(), "я" * 5000, "https://desk/portal/")

    assert "я" * notices.EXCERPT + "…" in body and "я" * (notices.EXCERPT + 1) not in body


def test_a_customer_by_contact_owns_only_that_contacts_tickets() -> None:
    who = views.Customer.of(Signed("session", "", "n", 0.0, "contact:c1"))

    assert who.owns(ContactView(id="c1")) and not who.owns(ContactView(id="c2"))
    assert who.tickets(100).contact_id == "c1" and who.email is None


def test_the_customer_sees_no_notes_and_only_the_files_of_messages_they_see() -> None:
    shared = Attachment(name="счёт.pdf", size=3, ref="file:" + "a" * 64)
    secret = Attachment(name="notes.txt", size=3, ref="file:" + "b" * 64)
    note = message("note", "agent-olga", "внутреннее").model_copy(
        update={"id": "m2", "attachments": [secret]}
    )
    reply = message("outbound", "agent-olga").model_copy(update={"attachments": [shared]})
    detail = q.TicketDetail(ticket=ticket(), contact=None, messages=[reply, note])

    shown = views.public(detail)

    assert [m["text"] for m in shown["messages"]] == ["Курьер везёт 🚚"]
    assert shown["messages"][0]["attachments"][0]["url"].endswith("/files/" + "a" * 64)
    assert views.public_file(detail, "a" * 64) == shared
    assert views.public_file(detail, "b" * 64) is None


def test_a_receipt_is_the_uploaders_own() -> None:
    maria = views.Customer("maria@x.ru", None)
    ivan = views.Customer(None, "c9")

    assert views.receipt(b"k", maria, "file:1") != views.receipt(b"k", ivan, "file:1")


def test_the_notifier_recognises_an_agents_message_event_before_parsing_it() -> None:
    reply = created(ticket(), message("outbound", "agent-olga")).to_bytes()
    customer = created(
        ticket(), message("inbound", "c1", 'я пишу "direction": "outbound"')
    ).to_bytes()

    assert OUTBOUND in reply and OUTBOUND not in customer


def test_a_long_one_click_address_goes_out_as_written_not_as_an_encoded_word() -> None:
    one_click = "https://help.example.ru/portal/api/unsubscribe?token=" + "t" * 240
    mail = notices.compose(
        "support@desk.ru", "maria@x.ru", "weekly", "Сводка", "тело", ("https://p", one_click)
    )

    wire = mail.as_bytes(policy=WIRE)

    assert f"\r\nList-Unsubscribe: <{one_click}>\r\n".encode() in wire
