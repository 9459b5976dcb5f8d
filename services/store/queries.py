"""Answers to `queries.ticket.*`: reads for the inbox, restricted to the asker's departments."""

from pydantic import BaseModel, ValidationError

from contracts import directory as d
from contracts import queries as q
from contracts.tickets import ContactView, TicketView
from services.runtime.deadletter import describe
from services.store.errors import StoreError
from services.store.repository import Repository

QUERY_TYPES: dict[str, type[BaseModel]] = {
    t.name: t for t in (q.ListTickets, q.GetTicket, q.QueueCounts, q.GetAudit)
}


def visible(department: str | None, departments: list[str] | None) -> bool:
    return departments is None or department in departments


def detail_json(ticket: TicketView, contact: ContactView | None, messages: list[str]) -> bytes:
    """`TicketDetail` as JSON, spliced from the stored messages' own JSON."""
    return b"".join(
        (
            b'{"schema_version":1,"ticket":',
            ticket.model_dump_json().encode(),
            b',"contact":',
            contact.model_dump_json().encode() if contact else b"null",
            b',"messages":[',
            ",".join(messages).encode(),
            b"]}",
        )
    )


async def answer(repo: Repository, name: str, parsed: BaseModel) -> q.Answer | bytes:
    """Answer the query named by the subject; the body is re-read as that query's model
    (the bus union may have matched another shape with the same fields)."""
    model = QUERY_TYPES.get(name)
    if model is None:
        return q.QueryError(code="invalid", message=f"unknown query {name!r}")
    try:
        query = model.model_validate(parsed.model_dump(exclude_unset=True))
    except ValidationError as error:
        return q.QueryError(code="invalid", message=describe(error))
    try:
        return await _run(repo, query)
    except StoreError as error:
        return q.QueryError(code="invalid", message=str(error))


async def _run(repo: Repository, query: BaseModel) -> q.Answer | bytes:
    if isinstance(query, q.ListTickets):
        page = await repo.list_tickets(query)
        if query.with_contacts:
            ids = dict.fromkeys(t.contact_id for t in page.items)
            found = [await repo.contact(contact_id) for contact_id in ids]
            page.contacts = [contact for contact in found if contact is not None]
        return page
    if isinstance(query, q.GetTicket):
        ticket = await repo.ticket(query.ticket_id)
        # A ticket outside the asker's departments does not exist for them.
        if ticket is None or not visible(ticket.department, query.departments):
            return q.QueryError(code="not_found", message=f"no ticket {query.ticket_id}")
        contact = await repo.contact(ticket.contact_id)
        messages = await repo.messages_json(ticket.id) if query.messages else []
        return detail_json(ticket, contact, messages)
    if isinstance(query, q.GetAudit):
        ticket = await repo.ticket(query.ticket_id)
        if ticket is None or not visible(ticket.department, query.departments):
            return q.QueryError(code="not_found", message=f"no ticket {query.ticket_id}")
        return q.AuditTrail(
            entries=[
                q.AuditRecord(actor=a.actor, action=a.action, detail=a.detail, at=a.at)
                for a in await repo.audit(query.ticket_id)
            ]
        )
    if isinstance(query, q.QueueCounts):
        return await repo.counts(query.departments)
    raise TypeError(f"no answer for {type(query).__name__}")


async def answer_directory(
    repo: Repository, name: str, body: BaseModel
) -> d.Directory | d.Credentials | q.QueryError:
    """`get`: the directory (agents, departments, templates, rules); `credentials`: a login."""
    data = body.model_dump(exclude_unset=True)
    try:
        if name == "credentials":
            wanted = d.GetCredentials.model_validate(data)
            found = await repo.credentials(wanted.email.strip().lower())
            if found is None:
                return d.Credentials()
            return d.Credentials(
                agent=d.AgentView.model_validate_json(found[0]), password_hash=found[1]
            )
        if name != "get":
            return q.QueryError(code="invalid", message=f"unknown query {name!r}")
        kinds = d.GetDirectory.model_validate(data).kinds
    except ValidationError as error:
        return q.QueryError(code="invalid", message=describe(error))
    directory = d.Directory()
    if "agent" in kinds:
        directory.agents = [d.AgentView.model_validate_json(x) for x in await repo.items("agent")]
    if "department" in kinds:
        directory.departments = [
            d.DepartmentView.model_validate_json(x) for x in await repo.items("department")
        ]
    if "template" in kinds:
        directory.templates = [
            d.ReplyTemplate.model_validate_json(x) for x in await repo.items("template")
        ]
    if "rules" in kinds:
        stored = await repo.items("rules")
        directory.rules = d.Directory.model_validate_json(stored[0]).rules if stored else []
    if "menus" in kinds:
        stored = await repo.items("menus")
        directory.menus = d.Directory.model_validate_json(stored[0]).menus if stored else []
    if "sla" in kinds:
        stored = await repo.items("sla")
        directory.sla_policies = (
            d.Directory.model_validate_json(stored[0]).sla_policies if stored else []
        )
    return directory
