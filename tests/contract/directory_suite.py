"""DirectorySuite: agents, departments, templates and routing rules on every backend."""

from contracts import commands as c
from contracts import directory as d
from contracts.queries import ListTickets
from services.store.queries import answer_directory
from services.store.repository import Repository
from services.store.writer import Writer
from tests.contract.suite import Published, inbound

BILLING = d.DepartmentView(id="billing", name="Биллинг", signature="— Команда биллинга")


def agent(email: str = "olga@example.com", **changes: object) -> d.AgentView:
    base = d.AgentView(id="a1", email=email, name="Ольга", departments=["billing"])
    return base.model_copy(update=changes)


class DirectorySuite:
    async def directory(self, repo: Repository) -> d.Directory:
        found = await answer_directory(repo, "get", d.GetDirectory())
        assert isinstance(found, d.Directory)
        return found

    async def test_departments_and_agents_are_kept_and_announced(
        self, repo: Repository, writer: Writer, published: Published
    ) -> None:
        await writer.execute(d.PutDepartment(actor="admin", department=BILLING))
        await writer.execute(d.PutAgent(actor="admin", agent=agent(), password_hash="$argon2id$x"))

        found = await self.directory(repo)

        assert found.departments == [BILLING]
        assert found.agents == [agent()]
        assert published.subjects() == ["events.directory.changed"] * 2

    async def test_an_agent_in_an_unknown_department_is_refused(self, writer: Writer) -> None:
        reply = await writer.execute(d.PutAgent(actor="admin", agent=agent()))

        assert isinstance(reply, c.CommandError)
        assert (reply.code, reply.field) == ("invalid", "agent.departments")

    async def test_two_agents_cannot_share_an_email(self, writer: Writer) -> None:
        await writer.execute(d.PutDepartment(actor="admin", department=BILLING))
        await writer.execute(d.PutAgent(actor="admin", agent=agent()))

        reply = await writer.execute(d.PutAgent(actor="admin", agent=agent(id="a2")))

        assert isinstance(reply, c.CommandError) and reply.code == "conflict"

    async def test_credentials_are_found_by_email_in_any_case(
        self, repo: Repository, writer: Writer
    ) -> None:
        await writer.execute(d.PutDepartment(actor="admin", department=BILLING))
        await writer.execute(d.PutAgent(actor="admin", agent=agent(), password_hash="$argon2id$x"))

        found = await answer_directory(
            repo, "credentials", d.GetCredentials(email="OLGA@example.com")
        )
        missing = await answer_directory(repo, "credentials", d.GetCredentials(email="no@x.ru"))

        assert isinstance(found, d.Credentials) and found.password_hash == "$argon2id$x"
        assert found.agent == agent()
        assert missing == d.Credentials()

    async def test_templates_are_added_and_deleted(self, repo: Repository, writer: Writer) -> None:
        template = d.ReplyTemplate(
            id="t1", name="Приветствие", text="Здравствуйте, {customer_name}!"
        )
        await writer.execute(d.PutTemplate(actor="admin", template=template))
        assert (await self.directory(repo)).templates == [template]

        await writer.execute(d.DeleteTemplate(actor="admin", template_id="t1"))
        again = await writer.execute(d.DeleteTemplate(actor="admin", template_id="t1"))

        assert (await self.directory(repo)).templates == []
        assert isinstance(again, c.CommandError) and again.code == "not_found"

    async def test_routing_rules_keep_their_order(self, repo: Repository, writer: Writer) -> None:
        await writer.execute(d.PutDepartment(actor="admin", department=BILLING))
        rules = [
            d.RoutingRule(
                id="r1",
                name="срочно",
                match=d.RuleMatch(keywords=["срочно"]),
                priority="urgent",
                stop=False,
            ),
            d.RoutingRule(
                id="r2", name="оплата", match=d.RuleMatch(pattern=r"оплат\w*"), department="billing"
            ),
        ]

        await writer.execute(d.SetRoutingRules(actor="admin", rules=rules))

        assert (await self.directory(repo)).rules == rules

    async def test_a_closed_ticket_reopens_within_its_departments_reopen_days(
        self, repo: Repository, writer: Writer
    ) -> None:
        department = BILLING.model_copy(update={"reopen_days": 7})
        await writer.execute(d.PutDepartment(actor="admin", department=department))
        await writer.ingest([inbound("1")])
        ticket_id = (await repo.list_tickets(ListTickets())).items[0].id
        await writer.execute(c.TransferTicket(actor="r", ticket_id=ticket_id, department="billing"))
        await writer.execute(c.SetStatus(actor="a1", ticket_id=ticket_id, status="closed"))

        await writer.ingest([inbound("2", "а ещё вопрос")])

        page = await repo.list_tickets(ListTickets())
        assert [(t.id, t.status) for t in page.items] == [(ticket_id, "open")]

    async def test_rules_pointing_to_an_unknown_department_are_refused(
        self, writer: Writer
    ) -> None:
        rule = d.RoutingRule(name="x", department="nowhere")

        reply = await writer.execute(d.SetRoutingRules(actor="admin", rules=[rule]))

        assert isinstance(reply, c.CommandError) and reply.code == "invalid"
