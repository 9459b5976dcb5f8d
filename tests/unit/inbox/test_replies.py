"""Reply templates and signatures."""

from datetime import UTC, datetime

from contracts.directory import AgentView, DepartmentView, ReplyTemplate
from contracts.tickets import ContactView, TicketView
from services.inbox.replies import fill, usable, with_signature

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
TICKET = TicketView(
    id="t1", number=42, channel="telegram", account="bot", thread_key="1", contact_id="c1",
    department="billing", created_at=NOW, updated_at=NOW, version=1,
)  # fmt: skip
CONTACT = ContactView(id="c1", name="Мария")
AGENT = AgentView(email="olga@desk.test", name="Ольга")


def test_placeholders_are_filled_in_any_script() -> None:
    text = "Здравствуйте, {customer_name}! Обращение №{ticket_number}. {agent_name} 🙂"

    assert fill(text, TICKET, CONTACT, AGENT) == "Здравствуйте, Мария! Обращение №42. Ольга 🙂"


def test_unknown_braces_are_left_as_written() -> None:
    assert fill('{"json": 1} {name}', TICKET, CONTACT, AGENT) == '{"json": 1} {name}'


def test_a_contact_without_a_name_leaves_the_placeholder_empty() -> None:
    assert fill("Hi {customer_name},", TICKET, None, AGENT) == "Hi ,"


def test_a_template_serves_its_department_or_every_department() -> None:
    assert usable(ReplyTemplate(name="a", text="x"), "tech")
    assert usable(ReplyTemplate(name="a", text="x", department="billing"), "billing")
    assert not usable(ReplyTemplate(name="a", text="x", department="billing"), "tech")


def test_a_reply_ends_with_the_departments_signature() -> None:
    billing = DepartmentView(id="billing", name="Billing", signature="— {agent_name}, отдел оплаты")

    signed = with_signature("Готово.\n", billing, TICKET, CONTACT, AGENT)

    assert signed == "Готово.\n\n— Ольга, отдел оплаты"
    assert with_signature("Готово.", None, TICKET, CONTACT, AGENT) == "Готово."


def test_greeting_and_customer_time_follow_the_customers_clock() -> None:
    evening_in_vladivostok = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)  # 19:30 there
    contact = CONTACT.model_copy(update={"timezone": "Asia/Vladivostok", "language": "ru"})

    text = fill(
        "{greeting}! У вас {customer_time}.", TICKET, contact, AGENT, evening_in_vladivostok
    )

    assert text == "Добрый вечер! У вас 19:30."


def test_without_the_customers_zone_the_greeting_is_neutral_and_the_time_empty() -> None:
    text = fill(
        "{greeting}, {customer_time}", TICKET, None, AGENT, datetime(2026, 12, 3, tzinfo=UTC)
    )

    assert text == "Hello, "
