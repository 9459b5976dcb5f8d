"""What an agent's reply says: reply templates with placeholders, and department signatures.
Pure.

Placeholders: `{customer_name}`, `{ticket_number}`, `{agent_name}`. Anything else in braces is
left as written, so a template that mentions `{json}` or a typo is never an error.
"""

import re

from contracts.directory import AgentView, DepartmentView, ReplyTemplate
from contracts.tickets import ContactView, TicketView

PLACEHOLDER = re.compile(r"\{(customer_name|ticket_number|agent_name)\}")


def fill(text: str, ticket: TicketView, contact: ContactView | None, agent: AgentView) -> str:
    values = {
        "customer_name": (contact.name if contact and contact.name else "").strip(),
        "ticket_number": str(ticket.number),
        "agent_name": agent.name,
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
) -> str:
    """A customer reply ends with its department's signature (internal notes do not)."""
    if department is None or not department.signature.strip():
        return text
    return f"{text.rstrip()}\n\n{fill(department.signature.strip(), ticket, contact, agent)}"
