"""Who may see and do what, decided from the agent's current role and departments. Pure.

- agent: tickets of their departments; takes a ticket for themselves or gives back their own;
- supervisor: the same departments, plus queue management (assigns anyone who is a member);
- admin: every ticket, plus configuration (departments, agents, rules, every template).

A ticket the agent may not see is reported as missing (404), never as forbidden, so its
existence does not leak; an action refused on a visible ticket is 403 with the reason.
"""

from contracts.directory import AgentView
from contracts.tickets import TicketView


class Forbidden(Exception):
    """A visible ticket or a setting the agent may not change; the message says why."""


def scope(agent: AgentView) -> list[str] | None:
    """The departments reads are restricted to; None: everything (admins)."""
    return None if agent.role == "admin" else list(agent.departments)


def can_see(agent: AgentView, department: str | None) -> bool:
    return agent.role == "admin" or (department is not None and department in agent.departments)


def check_admin(agent: AgentView) -> None:
    if agent.role != "admin":
        raise Forbidden("only an admin may change this")


def check_assign(agent: AgentView, ticket: TicketView, target: AgentView | None) -> None:
    """`target=None` unassigns. The target must belong to the ticket's department."""
    if target is not None:
        if not target.active:
            raise Forbidden(f"{target.name} is deactivated")
        if ticket.department not in target.departments:
            raise Forbidden(f"{target.name} is not a member of {ticket.department}")
    if agent.role in ("admin", "supervisor"):
        return
    if target is None and ticket.assignee != agent.id:
        raise Forbidden("only a supervisor may unassign someone else's ticket")
    if target is not None and target.id != agent.id:
        raise Forbidden("only a supervisor may assign tickets to others")
    if target is not None and ticket.assignee not in (None, agent.id):
        raise Forbidden("this ticket belongs to someone else; ask a supervisor")


def check_template(agent: AgentView, department: str | None) -> None:
    """Admins keep every template; supervisors those of their own departments."""
    if agent.role == "admin":
        return
    if agent.role == "supervisor" and department is not None and department in agent.departments:
        return
    raise Forbidden("only a supervisor of that department, or an admin, may change templates")
