"""What an agent's reply says: reply templates with placeholders, and department signatures.
Pure.

Placeholders: `{customer_name}`, `{ticket_number}`, `{agent_name}`, and in the customer's
time `{greeting}` (good morning/afternoon/evening by their local hour, in their language) and
`{customer_time}` (their local time, when their time zone is known). Anything else in braces
is left as written, so a template that mentions `{json}` or a typo is never an error.
"""

import re
from datetime import datetime

from contracts.directory import AgentView, DepartmentView, ReplyTemplate
from contracts.tickets import ContactView, TicketView
from services.sla import notices

PLACEHOLDER = re.compile(r"\{(customer_name|ticket_number|agent_name|greeting|customer_time)\}")


def fill(
    text: str,
    ticket: TicketView,
    contact: ContactView | None,
    agent: AgentView,
    now: datetime | None = None,
) -> str:
    zone = notices.zone(contact.timezone if contact else None)
    local = now.astimezone(zone) if now is not None and zone is not None else None
    lang = notices.language_of(ticket, contact, notices.LANGUAGES)
    values = {
        "customer_name": (contact.name if contact and contact.name else "").strip(),
        "ticket_number": str(ticket.number),
        "agent_name": agent.name,
        "greeting": notices.greeting(lang, local),
        "customer_time": local.strftime("%H:%M") if local else "",
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def usable(template: ReplyTemplate, department: str | None) -> bool:
    return template.department is None or template.department == department


def with_signature(
    text: str,
    department: DepartmentView | None,
    ticket: TicketView,
    contact: ContactView | None,
    agent: AgentView,
    now: datetime | None = None,
) -> str:
    """A customer reply ends with its department's signature (internal notes do not)."""
    if department is None or not department.signature.strip():
        return text
    signature = fill(department.signature.strip(), ticket, contact, agent, now)
    return f"{text.rstrip()}\n\n{signature}"
