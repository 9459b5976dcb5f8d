"""The inbox API on a real desk: login, tickets, replies and notes, changes, errors."""

import asyncio

import httpx
import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts import subjects
from contracts.messages import OutboundMessage
from tests.integration.inbox.conftest import PASSWORD, Desk

pytestmark = pytest.mark.integration
TICKET_FIELDS = {
    *("id", "number", "subject", "status", "priority", "channel", "account"),
    *("department", "assignee", "contact", "tags", "created_at", "updated_at"),
}


async def test_login_returns_a_token_that_opens_the_api(desk: Desk) -> None:
    token = await desk.login("anna")

    me = await desk.call("anna", "GET", "/api/v1/me")

    assert token.count(".") == 2
    assert me.status_code == 200 and me.json()["name"] == "Анна"


async def test_a_wrong_password_is_401_and_no_token(desk: Desk) -> None:
    async with await desk.as_("anna") as client:
        reply = await client.post(
            "/api/v1/auth/login", json={"email": "boris@desk.test", "password": "nope-nope"}
        )

    assert reply.status_code == 401
    assert "token" not in reply.json()


async def test_every_call_without_a_token_is_401(desk: Desk) -> None:
    async with await desk.as_("anna") as client:
        client.headers.pop("Authorization")
        for path in ("/api/v1/tickets", "/api/v1/me", "/api/v1/departments"):
            assert (await client.get(path)).status_code == 401
        client.headers["Authorization"] = "Bearer not.a.token"
        assert (await client.get("/api/v1/tickets")).status_code == 401


async def test_repeated_failed_logins_are_slowed_down(desk: Desk) -> None:
    async with await desk.as_("anna") as client:
        codes = []
        for _ in range(6):
            reply = await client.post(
                "/api/v1/auth/login", json={"email": "tina@desk.test", "password": "guess-guess"}
            )
            codes.append(reply.status_code)
        right = await client.post(
            "/api/v1/auth/login", json={"email": "tina@desk.test", "password": PASSWORD}
        )

    assert codes[:4] == [401, 401, 401, 401]
    assert 429 in codes[4:]
    assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1


def from_address(address: str) -> httpx.AsyncHTTPTransport:
    """Another loopback address: the throttle is per address, and other tests log in from
    127.0.0.1."""
    return httpx.AsyncHTTPTransport(local_address=address)


async def test_wrong_passwords_sent_in_parallel_are_throttled_too(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.url, transport=from_address("127.0.0.4")) as client:
        body = {"email": "sam@desk.test", "password": "guess-guess"}
        replies = await asyncio.gather(
            *(client.post("/api/v1/auth/login", json=body) for _ in range(12))
        )

    codes = sorted(r.status_code for r in replies)
    assert codes.count(401) <= 4 and codes.count(429) >= 8


async def test_failures_from_one_address_never_lock_the_agent_out_of_another(desk: Desk) -> None:
    wrong = {"email": "boris@desk.test", "password": "guess-guess"}
    right = {"email": "boris@desk.test", "password": PASSWORD}
    async with httpx.AsyncClient(base_url=desk.url, transport=from_address("127.0.0.3")) as bad:
        codes = [(await bad.post("/api/v1/auth/login", json=wrong)).status_code for _ in range(8)]
    async with httpx.AsyncClient(base_url=desk.url, transport=from_address("127.0.0.2")) as agent:
        reply = await agent.post("/api/v1/auth/login", json=right)

    assert 429 in codes
    assert reply.status_code == 200


async def test_a_customer_message_becomes_a_ticket_in_its_department(desk: Desk) -> None:
    thread = await desk.customer_writes("Не проходит оплата картой")

    ticket = await desk.ticket_of("anna", thread)
    full = await desk.call("anna", "GET", f"/api/v1/tickets/{ticket['id']}")

    assert ticket["department"] == "billing"
    body = full.json()
    assert [m["direction"] for m in body["messages"]] == ["inbound"]
    assert body["messages"][0]["text"] == "Не проходит оплата картой"
    assert set(body) >= TICKET_FIELDS


async def test_a_reply_goes_out_on_the_customers_channel_and_a_note_does_not(desk: Desk) -> None:
    js = desk.nc.jetstream()
    thread = await desk.customer_writes("оплата не прошла")
    ticket = await desk.ticket_of("anna", thread)
    sub = await js.subscribe(
        subjects.outbound_replies("telegram"),
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW,
        config=ConsumerConfig(),
    )

    note = await desk.call(
        "anna", "POST", f"/api/v1/tickets/{ticket['id']}/messages",
        json={"text": "проверить в банке", "internal": True},
    )  # fmt: skip
    reply = await desk.call(
        "anna", "POST", f"/api/v1/tickets/{ticket['id']}/messages",
        json={"text": "Проверили, всё в порядке 👍"},
    )  # fmt: skip
    sent = OutboundMessage.model_validate_json((await sub.next_msg(timeout=10)).data)

    assert note.status_code == 201 and note.json()["message"]["direction"] == "note"
    assert reply.status_code == 201 and reply.json()["message"]["direction"] == "outbound"
    assert sent.thread_key == thread and sent.text.startswith("Проверили, всё в порядке 👍")
    with pytest.raises(nats.errors.TimeoutError):  # the note never reaches the channel
        await sub.next_msg(timeout=1)
    await sub.unsubscribe()


async def test_a_template_is_filled_in_and_signed(desk: Desk) -> None:
    await desk.call(
        "root", "PUT", "/api/v1/departments/billing",
        json={"id": "billing", "name": "Оплата", "signature": "-- {agent_name}, отдел оплаты"},
    )  # fmt: skip
    created = await desk.call(
        "sam", "POST", "/api/v1/templates",
        json={"name": "Спасибо", "text": "{customer_name}, заявка №{ticket_number} закрыта.",
              "department": "billing"},
    )  # fmt: skip
    thread = await desk.customer_writes("оплата вопрос")
    ticket = await desk.ticket_of("anna", thread)

    reply = await desk.call(
        "anna", "POST", f"/api/v1/tickets/{ticket['id']}/messages",
        json={"template": created.json()["id"]},
    )  # fmt: skip

    assert created.status_code == 201
    text = reply.json()["message"]["text"]
    assert text == f"Клиент, заявка №{ticket['number']} закрыта.\n\n-- Анна, отдел оплаты"


async def test_a_stale_version_is_409(desk: Desk) -> None:
    thread = await desk.customer_writes("оплата дважды")
    ticket = await desk.ticket_of("anna", thread)
    path = f"/api/v1/tickets/{ticket['id']}"
    current = (await desk.call("anna", "GET", path)).json()["version"]

    first = await desk.call(
        "anna", "POST", f"{path}/priority", json={"priority": "high", "version": current}
    )
    second = await desk.call(
        "anna", "POST", f"{path}/status", json={"status": "pending", "version": current}
    )

    assert first.status_code == 200
    assert second.status_code == 409


async def test_invalid_input_is_422_with_the_field(desk: Desk) -> None:
    thread = await desk.customer_writes("оплата и статус")
    ticket = await desk.ticket_of("anna", thread)

    reply = await desk.call(
        "anna", "POST", f"/api/v1/tickets/{ticket['id']}/status", json={"status": "done"}
    )
    transfer = await desk.call(
        "anna", "POST", f"/api/v1/tickets/{ticket['id']}/transfer", json={"department": "nope"}
    )

    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"][-1] == "status"
    assert transfer.status_code == 422
    assert transfer.json()["detail"][0]["loc"][-1] == "department"


async def test_an_agent_takes_a_ticket_and_a_supervisor_reassigns_it(desk: Desk) -> None:
    thread = await desk.customer_writes("оплата, возврат")
    ticket = await desk.ticket_of("anna", thread)
    path = f"/api/v1/tickets/{ticket['id']}/assign"
    await desk.call("sam", "POST", path, json={"agent": None})

    taken = await desk.call("anna", "POST", path, json={"agent": "me"})
    refused = await desk.call("boris", "POST", path, json={"agent": "me"})
    moved = await desk.call("sam", "POST", path, json={"agent": "boris"})

    assert taken.status_code == 200 and taken.json()["ticket"]["assignee"] == "anna"
    assert refused.status_code == 403
    assert moved.status_code == 200 and moved.json()["ticket"]["assignee"] == "boris"


async def test_an_agent_opens_a_ticket_for_a_phone_call(desk: Desk) -> None:
    created = await desk.call(
        "anna", "POST", "/api/v1/tickets",
        json={"contact": {"name": "Пётр", "phone": "+79990001122"}, "channel": "viber",
              "subject": "Звонок", "text": "Клиент звонил про оплату"},
    )  # fmt: skip

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["department"] == "billing" and body["channel"] == "viber"
    assert body["contact"]["name"] == "Пётр"
    assert body["messages"][0]["text"] == "Клиент звонил про оплату"


async def test_search_finds_cyrillic_text_in_any_case(desk: Desk) -> None:
    thread = await desk.customer_writes("Оплата: ПЛАТЁЖ зАвИс")
    ticket = await desk.ticket_of("anna", thread)

    found = await desk.call("anna", "GET", "/api/v1/search", params={"q": "платёж завис"})

    assert ticket["id"] in [t["id"] for t in found.json()["items"]]


async def test_the_queue_report_comes_as_json_and_csv(desk: Desk) -> None:
    await desk.ticket_of("anna", await desk.customer_writes("оплата отчёт"))

    as_json = await desk.call("sam", "GET", "/api/v1/reports/queue")
    as_csv = await desk.call("sam", "GET", "/api/v1/reports/queue", params={"format": "csv"})

    assert set(as_json.json()["by_status"]) <= {"billing"}
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0] == "department,status,tickets"
    assert all(line.startswith("billing,") for line in as_csv.text.splitlines()[1:])


async def test_presence_can_be_set_to_away(desk: Desk) -> None:
    reply = await desk.call("boris", "PUT", "/api/v1/me/presence", json={"status": "away"})
    await asyncio.sleep(0)

    assert reply.status_code == 200 and reply.json()["status"] == "away"
    assert (await desk.call("boris", "GET", "/api/v1/me/presence")).json()["status"] == "away"


async def _messages(desk: Desk, ticket_id: str) -> list[str]:
    reply = await desk.call("anna", "GET", f"/api/v1/tickets/{ticket_id}")
    return [m["id"] for m in reply.json()["messages"]]


async def test_split_and_merge_keep_every_message_exactly_once_with_audit(desk: Desk) -> None:
    thread = await desk.customer_writes("оплата: первый вопрос")
    for text in ("второй вопрос, про доставку", "третий: снова оплата"):
        await desk.customer_writes(text, thread=thread)
    ticket = await desk.ticket_of("anna", thread)
    async with asyncio.timeout(15):
        while len(original := await _messages(desk, ticket["id"])) < 3:
            await asyncio.sleep(0.1)

    split = await desk.call(
        "anna", "POST", f"/api/v1/tickets/{ticket['id']}/split", json={"message_ids": [original[1]]}
    )
    new_id = split.json()["ticket"]["id"]
    after_split = (await _messages(desk, ticket["id"]), await _messages(desk, new_id))
    merge = await desk.call(
        "anna", "POST", f"/api/v1/tickets/{new_id}/merge", json={"into": ticket["id"]}
    )
    after_merge = (await _messages(desk, ticket["id"]), await _messages(desk, new_id))
    audit = await desk.call("anna", "GET", f"/api/v1/tickets/{ticket['id']}/audit")

    assert split.status_code == 200 and new_id != ticket["id"]
    assert after_split == ([original[0], original[2]], [original[1]])
    assert merge.status_code == 200
    assert sorted(after_merge[0]) == sorted(original) and after_merge[1] == []
    assert {"split", "merged"} <= {entry["action"] for entry in audit.json()["items"]}


async def test_requests_are_measured_by_route_template(desk: Desk) -> None:
    await desk.call("anna", "GET", "/api/v1/tickets/no-such-ticket")

    async with httpx.AsyncClient(base_url=desk.url) as client:
        metrics = (await client.get("/metrics")).text

    assert 'route="/api/v1/tickets/{ticket_id}",service="inbox",status="404"' in metrics
    assert "no-such-ticket" not in metrics


async def test_a_file_attached_to_a_reply_goes_out_and_only_its_ticket_serves_it(
    desk: Desk,
) -> None:
    js = desk.nc.jetstream()
    thread = await desk.customer_writes("оплата: пришлите акт")
    ticket = await desk.ticket_of("anna", thread)
    outbound = await js.subscribe(
        subjects.outbound_replies("telegram"),
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW,
    )
    content = "Акт сверки №7 🧾".encode()

    uploaded = await desk.call(
        "anna", "POST", "/api/v1/files", params={"name": "акт.txt"}, content=content,
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )  # fmt: skip
    attachment = uploaded.json()
    reply = await desk.call(
        "anna", "POST", f"/api/v1/tickets/{ticket['id']}/messages",
        json={"text": "Высылаю акт", "attachments": [attachment]},
    )  # fmt: skip
    sent = OutboundMessage.model_validate_json((await outbound.next_msg(timeout=10)).data)
    path = f"/api/v1/tickets/{ticket['id']}/files/{attachment['ref'].removeprefix('file:')}"
    mine = await desk.call("anna", "GET", path)
    theirs = await desk.call("tina", "GET", path)

    assert uploaded.status_code == 201 and attachment["size"] == len(content)
    assert reply.status_code == 201
    assert [a.ref for a in sent.attachments] == [attachment["ref"]]
    assert mine.status_code == 200 and mine.content == content
    assert mine.headers["content-disposition"].startswith("attachment")
    assert theirs.status_code == 404
    await outbound.unsubscribe()


async def test_a_reply_cannot_attach_a_file_that_was_never_uploaded(desk: Desk) -> None:
    ticket = await desk.ticket_of("anna", await desk.customer_writes("оплата без файла"))
    forged = {"name": "x", "size": 1, "ref": "file:" + "0" * 64}

    reply = await desk.call(
        "anna", "POST", f"/api/v1/tickets/{ticket['id']}/messages",
        json={"text": "вот", "attachments": [forged]},
    )  # fmt: skip

    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"][-1] == "attachments"


async def test_another_departments_file_cannot_be_attached_by_its_digest(desk: Desk) -> None:
    uploaded = await desk.call(
        "anna", "POST", "/api/v1/files", params={"name": "счёт.txt"}, content="секрет".encode()
    )
    theirs = uploaded.json()
    ticket = await desk.ticket_of("tina", await desk.customer_writes("ошибка в приложении"))
    path = f"/api/v1/tickets/{ticket['id']}/messages"
    never = {"name": "x", "size": 1, "ref": "file:" + "0" * 64}

    stolen = await desk.call("tina", "POST", path, json={"text": "вот", "attachments": [theirs]})
    unsigned = {k: v for k, v in theirs.items() if k != "receipt"}
    bare = await desk.call("tina", "POST", path, json={"text": "вот", "attachments": [unsigned]})
    missing = await desk.call("tina", "POST", path, json={"text": "вот", "attachments": [never]})

    assert uploaded.status_code == 201 and theirs["receipt"]
    assert stolen.status_code == bare.status_code == missing.status_code == 422
    assert stolen.json() == bare.json() == missing.json()  # existence is not told either


async def test_a_file_already_on_the_ticket_can_be_sent_again_without_its_receipt(
    desk: Desk,
) -> None:
    ticket = await desk.ticket_of("anna", await desk.customer_writes("оплата: второй акт"))
    path = f"/api/v1/tickets/{ticket['id']}/messages"
    upload = (
        await desk.call("anna", "POST", "/api/v1/files", params={"name": "a.txt"}, content=b"a")
    ).json()
    first = await desk.call("anna", "POST", path, json={"text": "1", "attachments": [upload]})
    again = {k: v for k, v in upload.items() if k != "receipt"}

    second = await desk.call("sam", "POST", path, json={"text": "2", "attachments": [again]})

    assert first.status_code == second.status_code == 201
    assert "receipt" not in first.json()["message"]["attachments"][0]


@pytest.mark.parametrize("path", ["/", "/ui/index.html", "/ui/app.js", "/ui/style.css"])
async def test_every_ui_path_carries_the_pages_security_headers(desk: Desk, path: str) -> None:
    async with httpx.AsyncClient(base_url=desk.url) as client:
        reply = await client.get(path)

    assert reply.status_code == 200
    assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
    assert "script-src 'self'" in reply.headers["content-security-policy"]
    assert reply.headers["x-content-type-options"] == "nosniff"


async def test_an_admin_sets_sla_policies_and_a_new_ticket_shows_its_due_time(desk: Desk) -> None:
    policy = {
        "name": "Биллинг: час",
        "match": {"departments": ["billing"]},
        "first_response_minutes": 60,
        "escalation": {"priority": "high", "assign_to": "supervisor"},
    }
    saved = await desk.call("root", "PUT", "/api/v1/sla-policies", json={"policies": [policy]})
    read = await desk.call("sam", "GET", "/api/v1/sla-policies")
    await asyncio.sleep(0.5)  # the router and the store read the changed directory

    ticket = await desk.ticket_of("anna", await desk.customer_writes("оплата не прошла"))

    assert saved.status_code == 200 and read.json()["items"][0]["name"] == "Биллинг: час"
    clock = ticket["sla"]["clocks"][0]
    assert (ticket["sla"]["policy_name"], clock["target"], clock["minutes"]) == (
        "Биллинг: час",
        "first_response",
        60,
    )
    assert ticket["timer_at"] is not None and clock["due_at"] > ticket["created_at"]


async def test_a_calendar_with_an_unknown_zone_is_refused_with_its_field(desk: Desk) -> None:
    body = {"id": "night", "name": "Ночь", "calendar": {"timezone": "Asia/Atlantis"}}

    reply = await desk.call("root", "POST", "/api/v1/departments", json=body)

    assert reply.status_code == 422 and "Asia/Atlantis" in reply.text


async def test_a_department_calendar_is_kept_with_its_split_shifts(desk: Desk) -> None:
    shifts = [{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}]
    calendar = {"timezone": "Asia/Vladivostok", "week": [shifts] * 5 + [[], []], "country": "RU"}
    body = {"id": "vladivostok", "name": "Владивосток", "calendar": calendar}

    made = await desk.call("root", "POST", "/api/v1/departments", json=body)
    listed = await desk.call("tina", "GET", "/api/v1/departments")

    assert made.status_code == 201, made.text
    kept = next(x for x in listed.json()["items"] if x["id"] == "vladivostok")
    assert kept["calendar"]["week"][0][1]["start"] == "14:00:00"
    assert kept["calendar"]["country"] == "RU"


async def test_an_agent_escalates_a_difficult_customer_to_the_supervisor(desk: Desk) -> None:
    ticket = await desk.ticket_of("anna", await desk.customer_writes("оплата, и я очень зол"))
    path = f"/api/v1/tickets/{ticket['id']}/escalate"

    reply = await desk.call("anna", "POST", path, json={"reason": "угрожает судом"})
    audit = await desk.call("sam", "GET", f"/api/v1/tickets/{ticket['id']}/audit")

    assert reply.status_code == 200, reply.text
    escalated = reply.json()["ticket"]
    assert (escalated["assignee"], "escalated" in escalated["tags"]) == ("sam", True)
    assert escalated["escalated_at"] is not None
    entry = next(e for e in audit.json()["items"] if e["action"] == "escalated")
    assert entry["actor"] == "anna" and entry["detail"]["reason"] == "угрожает судом"


async def test_an_agent_sets_the_customers_time_zone(desk: Desk) -> None:
    ticket = await desk.ticket_of("anna", await desk.customer_writes("оплата из Владивостока"))
    path = f"/api/v1/tickets/{ticket['id']}/contact"

    good = await desk.call("anna", "PUT", path, json={"timezone": "Asia/Vladivostok"})
    bad = await desk.call("anna", "PUT", path, json={"timezone": "Луна/Море"})

    assert good.status_code == 200 and good.json()["ticket"]["contact"]["timezone"] == (
        "Asia/Vladivostok"
    )
    assert bad.status_code == 422
