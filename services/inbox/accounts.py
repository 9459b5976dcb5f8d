"""Accounts from the command line and the first start: `relaydesk agent add`,
`relaydesk department add`, and the admin, the `support` department and the standard SLA
policies `relaydesk up` creates.

All of it goes through the store over NATS, like the API: nothing here opens the database.
"""

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import nats

from contracts import directory as d
from services.inbox.passwords import generate_password, hash_password
from services.inbox.settings import InboxSettings
from services.runtime.console import say
from services.runtime.store_client import StoreClient, StoreRefused, StoreUnavailable

ACTOR = "cli"
# A fresh desk acknowledges new tickets and holds them to the rules the product was built
# from: answered within a day at most, urgent matters within the hour (around the clock until
# an admin gives `support` working hours).
DEFAULT_DEPARTMENT = d.DepartmentView(id="support", name="Support", acknowledge=True)
DEFAULT_SLA = [
    d.SlaPolicy(
        name="Urgent",
        match=d.SlaMatch(priorities=["urgent"]),
        first_response_minutes=60,
        next_response_minutes=60,
        resolution_minutes=8 * 60,
        escalation=d.Escalation(assign_to="supervisor", tags=["sla-breach"]),
    ),
    d.SlaPolicy(
        name="Standard",
        first_response_minutes=24 * 60,
        next_response_minutes=24 * 60,
        escalation=d.Escalation(priority="high", tags=["sla-breach"]),
    ),
]
DEFAULT_ADMIN_EMAIL = "admin@relaydesk.local"
T = TypeVar("T")


async def bootstrap(
    store: StoreClient, email: str | None, password: str | None
) -> tuple[d.AgentView | None, str | None]:
    """On a desk with no department, create `support`; with no admin, create one (a member of
    `support`). Returns the admin created (None if there was one) and the password generated
    for it (None when it was given)."""
    directory = await store.directory()
    departments = [x.id for x in directory.departments]
    if not departments:
        await store.directory_command(d.PutDepartment(actor=ACTOR, department=DEFAULT_DEPARTMENT))
        departments = [DEFAULT_DEPARTMENT.id]
        if not directory.sla_policies:
            await store.directory_command(d.SetSlaPolicies(actor=ACTOR, policies=DEFAULT_SLA))
        for admin in (a for a in directory.agents if a.role == "admin"):
            joined = admin.model_copy(update={"departments": [*admin.departments, "support"]})
            await store.directory_command(d.PutAgent(actor=ACTOR, agent=joined))
    if any(a.role == "admin" for a in directory.agents):
        return None, None
    generated = None if password else generate_password()
    admin = d.AgentView(
        email=email or DEFAULT_ADMIN_EMAIL, name="Admin", role="admin", departments=departments
    )
    secret = hash_password(password or generated or "")
    await store.directory_command(d.PutAgent(actor=ACTOR, agent=admin, password_hash=secret))
    return admin, generated


async def _with_store(settings: InboxSettings, work: Callable[[StoreClient], Awaitable[T]]) -> T:
    nc = await nats.connect(
        settings.nats_servers, connect_timeout=settings.connect_timeout, max_reconnect_attempts=1
    )
    try:
        return await work(StoreClient(nc, settings.inbox_store_timeout))
    finally:
        await nc.drain()


def _run(
    work: Callable[[StoreClient], Awaitable[str]], settings: InboxSettings | None = None
) -> int:
    try:
        say(f"relaydesk: {asyncio.run(_with_store(settings or InboxSettings(), work))}")
    except StoreRefused as error:
        print(f"relaydesk: refused: {error.message}", file=sys.stderr)
        return 1
    except (StoreUnavailable, OSError, nats.errors.Error) as error:
        print(f"relaydesk: cannot reach the store over NATS: {error}", file=sys.stderr)
        return 2
    return 0


def agent_add(args: argparse.Namespace) -> int:
    password = args.password
    generated = False
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.email} (empty: generate one): ")
    if not password:
        password, generated = generate_password(), True
    try:
        agent = d.AgentView(
            email=args.email,
            name=args.name,
            role=args.role,
            departments=args.department,
            languages=args.language,
            capacity=args.capacity,
        )
        secret = hash_password(password)
    except ValueError as error:
        print(f"relaydesk: {error}", file=sys.stderr)
        return 2

    async def add(store: StoreClient) -> str:
        await store.directory_command(d.PutAgent(actor=ACTOR, agent=agent, password_hash=secret))
        shown = f"; password: {password} (shown once)" if generated else ""
        return f"agent {agent.email} added as {agent.role} (id {agent.id}){shown}"

    return _run(add)


def department_add(args: argparse.Namespace) -> int:
    try:
        department = d.DepartmentView(
            id=args.id, name=args.name or args.id, policy=args.policy, signature=args.signature
        )
    except ValueError as error:
        print(f"relaydesk: {error}", file=sys.stderr)
        return 2

    async def add(store: StoreClient) -> str:
        await store.directory_command(d.PutDepartment(actor=ACTOR, department=department))
        return f"department {department.id} saved ({department.policy})"

    return _run(add)


def first_start(nats_url: str) -> int:
    """What `relaydesk up` runs once the store answers (on the NATS it started, maybe)."""
    settings = InboxSettings(nats_url=nats_url)
    given = settings.admin_password.get_secret_value() if settings.admin_password else None

    async def ensure(store: StoreClient) -> str:
        admin, generated = await bootstrap(store, settings.admin_email, given)
        if admin is None:
            return "accounts: an admin exists"
        if generated:
            return (
                f"admin {admin.email} created; password: {generated} "
                "(shown once: keep it, or set RELAYDESK_ADMIN_PASSWORD next time)"
            )
        return f"admin {admin.email} created with RELAYDESK_ADMIN_PASSWORD"

    return _run(ensure, settings)
