"""The store's side of service levels: every ticket write carries its SLA clocks and next
timer, computed in the same transaction as the change that moves them (so a due time can
never lag the ticket it belongs to). The arithmetic is `services.sla`'s; this reads the
policies and departments it needs, once per transaction.
"""

import weakref
from dataclasses import dataclass, field

from contracts import directory as d
from contracts.base import utcnow
from contracts.service_levels import SlaPolicy
from contracts.tickets import TicketView
from services.sla import clocks
from services.store.repository import UnitOfWork

SLA_ID = "all"


@dataclass
class Levels:
    policies: list[SlaPolicy] = field(default_factory=list)
    departments: dict[str, d.DepartmentView] = field(default_factory=dict)
    menus: list[d.Menu] = field(default_factory=list)


# One read per transaction: an ingest batch of 500 messages reads the directory once.
_loaded: "weakref.WeakKeyDictionary[UnitOfWork, Levels]" = weakref.WeakKeyDictionary()


async def levels(uow: UnitOfWork) -> Levels:
    found = _loaded.get(uow)
    if found is None:
        stored = await uow.items("sla")
        menus = await uow.items("menus")
        found = Levels(
            menus=d.Directory.model_validate_json(menus[0]).menus if menus else [],
            policies=d.Directory.model_validate_json(stored[0]).sla_policies if stored else [],
            departments={
                x.id: x
                for x in (
                    d.DepartmentView.model_validate_json(doc)
                    for doc in await uow.items("department")
                )
            },
        )
        _loaded[uow] = found
    return found


def forget(uow: UnitOfWork) -> None:
    """The directory changed in this transaction: read it again."""
    _loaded.pop(uow, None)


async def stamped(uow: UnitOfWork, before: TicketView | None, after: TicketView) -> TicketView:
    """`after` with its SLA clocks, status time and next timer up to date."""
    found = await levels(uow)
    return clocks.advance(before, after, found.policies, found.departments, utcnow())
