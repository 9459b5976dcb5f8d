"""Department rules as pure functions: order, defaults, priority and tags."""

from contracts.directory import RoutingRule, RuleMatch
from router.rules import SEED_RULES, Conversation, route


def convo(text: str = "", **kw: object) -> Conversation:
    return Conversation(channel=str(kw.pop("channel", "telegram")), account="bot", text=text, **kw)  # type: ignore[arg-type]


BILLING = RoutingRule(
    name="оплата", match=RuleMatch(pattern=r"оплат|счёт|invoice"), department="billing"
)
TECH = RoutingRule(
    name="tech words", match=RuleMatch(keywords=["ошибка", "error"]), department="tech"
)


def test_the_first_matching_rule_decides_the_department() -> None:
    decision = route(convo("Ошибка при оплате"), [BILLING, TECH], "support")

    assert (decision.department, decision.rule) == ("billing", "оплата")


def test_no_match_means_the_default_department() -> None:
    decision = route(convo("Здравствуйте"), [BILLING, TECH], "support")

    assert (decision.department, decision.reason) == ("support", "default department")


def test_a_non_stopping_rule_adds_priority_and_lets_later_rules_decide() -> None:
    decision = route(convo("Срочно! Не работает оплата"), [*SEED_RULES, BILLING], "support")

    assert (decision.department, decision.priority) == ("billing", "high")
    assert decision.tags == ["urgent-words"]


def test_keywords_match_case_insensitively_in_cyrillic() -> None:
    assert route(convo("СЕРВИС УПАЛ"), SEED_RULES, "support").priority == "high"


def test_every_condition_of_a_rule_must_hold() -> None:
    rule = RoutingRule(
        name="vip email",
        match=RuleMatch(channels=["email"], recipients=["vip@desk.ru"]),
        department="vip",
    )

    by_email = route(convo(channel="email", recipient="VIP@desk.ru"), [rule], "support")
    by_telegram = route(convo(recipient="vip@desk.ru"), [rule], "support")

    assert (by_email.department, by_telegram.department) == ("vip", "support")


def test_the_customers_own_choice_and_language_can_route() -> None:
    picked = RoutingRule(
        name="menu", match=RuleMatch(department_hints=["sales"]), department="sales"
    )
    thai = RoutingRule(name="thai", match=RuleMatch(languages=["th"]), department="thai-desk")

    assert route(convo(department_hint="sales"), [picked, thai], "support").department == "sales"
    assert route(convo(language="th-TH"), [picked, thai], "support").department == "thai-desk"


def test_disabled_rules_are_skipped() -> None:
    off = BILLING.model_copy(update={"enabled": False})

    assert route(convo("оплата"), [off], "support").department == "support"


def test_a_department_chosen_by_an_agent_is_kept_while_rules_still_raise_priority() -> None:
    rules = [
        RoutingRule(
            name="urgent", match=RuleMatch(keywords=["срочно"]), priority="urgent", stop=False
        ),
        RoutingRule(name="tech", match=RuleMatch(keywords=["ошибка"]), department="tech"),
    ]
    convo = Conversation(
        channel="email", account="api", text="срочно: ошибка", department="billing"
    )

    decision = route(convo, rules, "support")

    assert decision.department == "billing"
    assert decision.priority == "urgent"


def test_the_department_a_customer_chose_is_used_when_no_rule_decides() -> None:
    convo = Conversation(
        channel="webchat", account="site", text="привет", department_hint="billing"
    )

    assert route(convo, [], "support", {"billing", "tech"}).department == "billing"
    assert route(convo, [], "support", {"tech"}).department == "support"


def test_a_rule_still_wins_over_the_customers_choice() -> None:
    rules = [RoutingRule(name="tech", match=RuleMatch(keywords=["ошибка"]), department="tech")]
    convo = Conversation(channel="webchat", account="s", text="ошибка", department_hint="billing")

    assert route(convo, rules, "support", {"billing", "tech"}).department == "tech"


def test_an_auto_reply_quoting_outage_words_is_never_raised() -> None:
    convo = Conversation(
        channel="email",
        account="support",
        subject="Автоответ: в отпуске",
        text="> Срочно! Ничего не работает",
        tags=("auto-reply",),
    )

    assert route(convo, SEED_RULES, "support").priority == "normal"


def test_a_person_writing_the_same_words_is_raised() -> None:
    convo = Conversation(channel="email", account="support", text="Срочно! Ничего не работает")

    assert route(convo, SEED_RULES, "support").priority == "high"
