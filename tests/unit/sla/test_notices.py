"""The acknowledgement and the reminder: the customer's language, local time and expectation."""

from datetime import UTC, datetime

import pytest

from contracts.directory import DepartmentView
from contracts.service_levels import BusinessCalendar
from contracts.tickets import ContactView, SlaClock, SlaState, TicketView
from services.sla import notices

pytestmark = pytest.mark.unit
FRIDAY_EVENING = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # 19:30 in Moscow
MONDAY_11_MOSCOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
OFFICE = DepartmentView(
    id="support", name="Поддержка", calendar=BusinessCalendar(timezone="Europe/Moscow")
)


def ticket(language: str | None, due: datetime | None = MONDAY_11_MOSCOW) -> TicketView:
    clocks = [SlaClock(target="first_response", minutes=120, due_at=due)] if due else []
    return TicketView(
        id="t1",
        number=1042,
        channel="telegram",
        account="bot",
        thread_key="chat",
        contact_id="c1",
        language=language,
        sla=SlaState(policy_id="p", policy_name="Стандарт", clocks=clocks),
        created_at=FRIDAY_EVENING,
        updated_at=FRIDAY_EVENING,
        version=1,
    )


def test_outside_hours_the_russian_acknowledgement_names_the_working_time_and_the_monday() -> None:
    contact = ContactView(id="c1", language="ru", timezone="Europe/Moscow")

    text = notices.acknowledgement(ticket("ru"), contact, OFFICE, FRIDAY_EVENING)

    assert text == (
        "Добрый вечер! Мы получили ваше обращение: заявка №1042. Мы отвечаем в течение "
        "2 рабочих часов; сейчас нерабочее время, поэтому ответим к 11:00 в понедельник."
    )


def test_the_english_acknowledgement_shows_the_departments_zone_when_the_customers_is_unknown() -> (
    None
):
    text = notices.acknowledgement(ticket("en"), ContactView(id="c1"), OFFICE, FRIDAY_EVENING)

    assert text == (
        "Hello! We have your request: ticket #1042. We answer within 2 working hours; it is "
        "outside working hours now, so expect us by Monday 11:00 (Europe/Moscow)."
    )


def test_within_working_hours_only_the_promise_is_given() -> None:
    tuesday_noon = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)

    text = notices.acknowledgement(ticket("en"), None, OFFICE, tuesday_noon)

    assert text.endswith("We answer within 2 working hours.")


def test_the_customers_own_time_sets_the_greeting_and_the_hour_shown() -> None:
    # 16:30 UTC is 02:30 the next morning in Vladivostok: no "good evening" at night.
    contact = ContactView(id="c1", language="ru", timezone="Asia/Vladivostok")

    text = notices.acknowledgement(ticket("ru"), contact, OFFICE, FRIDAY_EVENING)

    assert text.startswith("Здравствуйте!")
    assert "к 18:00 в понедельник" in text


def test_a_department_template_replaces_the_built_in_one_and_keeps_unknown_placeholders() -> None:
    own = OFFICE.model_copy(
        update={"acknowledgement": {"ru": "{greeting}, {customer_name}! №{ticket_number} {oops}"}}
    )
    contact = ContactView(id="c1", name="Анна", language="ru", timezone="+03:00")

    text = notices.acknowledgement(ticket("ru"), contact, own, FRIDAY_EVENING)

    assert text == "Добрый вечер, Анна! №1042 {oops}"


def test_a_language_without_a_text_falls_back_to_english() -> None:
    text = notices.reminder(
        ticket("th"), ContactView(id="c1", language="th"), OFFICE, FRIDAY_EVENING
    )

    assert text.startswith("Hello! Ticket #1042 is waiting for your answer.")


@pytest.mark.parametrize(
    ("minutes", "russian", "english"),
    [
        (60, "1 рабочего часа", "1 working hour"),
        (120, "2 рабочих часов", "2 working hours"),
        (21 * 60, "21 рабочего часа", "21 working hours"),
        (11 * 60, "11 рабочих часов", "11 working hours"),
        (90, "90 рабочих минут", "90 working minutes"),
    ],
)
def test_durations_are_spelled_in_the_case_the_sentence_needs(
    minutes: int, russian: str, english: str
) -> None:
    assert notices.duration("ru", minutes, working=True) == russian
    assert notices.duration("en", minutes, working=True) == english


@pytest.mark.parametrize(
    ("hour", "greeting"),
    [(6, "Доброе утро"), (13, "Добрый день"), (19, "Добрый вечер"), (2, "Здравствуйте")],
)
def test_the_greeting_follows_the_customers_clock(hour: int, greeting: str) -> None:
    assert notices.greeting("ru", datetime(2026, 12, 4, hour, tzinfo=UTC)) == greeting


@pytest.mark.parametrize(
    ("given", "offset_hours"),
    [("+03:00", 3), ("UTC+10", 10), ("-0930", -9.5), ("Asia/Kamchatka", 12)],
)
def test_a_customer_zone_is_an_iana_name_or_an_offset(given: str, offset_hours: float) -> None:
    zone = notices.zone(given)

    assert zone is not None
    offset = FRIDAY_EVENING.astimezone(zone).utcoffset()
    assert offset is not None and offset.total_seconds() == offset_hours * 3600


def test_nonsense_is_no_zone() -> None:
    assert notices.zone("Mars/Olympus") is None and notices.zone("+99:00") is None
