"""`relaydesk`: up, run <service>, doctor, asyncapi, bench, agent add, department add,
reports rebuild.

Services are named by import strings, not imports, so the runtime stays free of any service
and `relaydesk run telegram` imports only what Telegram needs.
"""

import argparse
import asyncio
import importlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from services.runtime.broker import check_nats
from services.runtime.config import BaseServiceSettings, UpSettings
from services.runtime.console import say
from services.runtime.logging import configure_logging
from services.runtime.nats_server import NatsServer
from services.runtime.private import keep_private, stored_secret
from services.runtime.supervisor import Supervisor

# name -> factory building the service's ASGI app (no I/O until its lifespan starts).
SERVICES: dict[str, str] = {
    "store": "services.store.app:create_app",
    "router": "router.app:create_app",
    "reports": "services.reports.app:create_app",
    "portal": "services.portal.app:create_app",
    "inbox": "services.inbox.app:create_app",
    "telegram": "channels.telegram.app:create_app",
    "webchat": "channels.webchat.app:create_app",
    "email": "channels.email.app:create_app",
    "vk": "channels.vk.app:create_app",
    "viber": "channels.viber.app:create_app",
}
# Channels that need platform credentials start under `up` only when these are set.
NEEDS_CREDENTIALS: dict[str, str] = {
    "telegram": "RELAYDESK_TELEGRAM_BOTS",
    "vk": "RELAYDESK_VK_GROUPS",
    "viber": "RELAYDESK_VIBER_BOTS",
}
# What a newcomer opens after `make run`, announced once the service answers.
OPEN_HERE = {
    "inbox": ("agents' inbox", "/"),
    "webchat": ("customer chat demo", "/demo"),
    "portal": ("customers' portal", "/portal/"),
}
# Account commands and the first-start bootstrap live with the inbox, which owns accounts.
ACCOUNTS = "services.inbox.accounts"
REPORTS = "services.reports.rebuild"
ASYNCAPI_PATH = Path(__file__).resolve().parents[2] / "contracts" / "asyncapi.yaml"


def delegated(module: str, name: str) -> Callable[..., int]:
    """A command a service implements, imported only when it runs."""
    fn: Callable[..., int] = getattr(importlib.import_module(module), name)
    return fn


def accounts(name: str) -> Callable[..., int]:
    return delegated(ACCOUNTS, name)


def load_factory(name: str) -> Callable[[], Starlette]:
    module, _, attr = SERVICES[name].partition(":")
    factory: Callable[[], Starlette] = getattr(importlib.import_module(module), attr)
    return factory


def services_to_start(env: dict[str, str]) -> list[str]:
    return [n for n in SERVICES if n not in NEEDS_CREDENTIALS or env.get(NEEDS_CREDENTIALS[n])]


def bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets that say they are TCP, and
    # with Nagle on, a kept-alive HTTP connection waits ~40 ms for delayed ACKs per response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def fail(message: str, code: int = 2) -> int:
    print(f"relaydesk: {message}", file=sys.stderr, flush=True)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    import uvicorn
    import uvloop

    name: str = args.service
    settings = BaseServiceSettings()
    configure_logging(name, settings.log_level, settings.log_format)
    keep_private(settings.data_dir)
    try:
        asyncio.run(check_nats(settings.nats_servers, settings.connect_timeout))
        app = load_factory(name)()
        for check in getattr(app.state, "preflight", ()):
            asyncio.run(check())
        if getattr(args, "set_webhook", None):
            register = getattr(app.state, "set_webhook", None)
            if register is None:
                return fail(f"{name}: has no webhook to register")
            for line in asyncio.run(register(args.set_webhook)):
                print(f"relaydesk: {name}: {line}", flush=True)
    except ConnectionError as error:
        return fail(f"{name}: {error}")
    try:
        sock = bind(settings.host, app.state.port)
    except OSError as error:
        return fail(f"{name}: cannot listen on {settings.host}:{app.state.port}: {error}")
    host, port = sock.getsockname()[:2]
    print(f"relaydesk: {name} listening on http://{host}:{port}", flush=True)
    # No access log: formatting a line per webhook cost more than parsing the webhook.
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    # uvloop (and httptools, which uvicorn picks up by itself): the same asyncio code with
    # the event loop and HTTP parsing in C; measured in `make bench e2e`.
    uvloop.run(server.serve(sockets=[sock]))
    return 0 if server.started else fail(f"{name}: did not start, see the lines above", 3)


def cmd_up(args: argparse.Namespace) -> int:
    settings = UpSettings()
    configure_logging("up", settings.log_level, settings.log_format)
    keep_private(settings.data_dir)  # the embedded NATS store and every service inherit it
    env = dict(os.environ)
    nats: NatsServer | None = None
    if not settings.nats_url:
        # Its own login, kept 0600 in the data dir: a local process that is not ours cannot
        # read the directory (password hashes) or write commands.
        password = stored_secret(settings.data_dir / "nats-password")
        nats = NatsServer(
            settings.data_dir / "nats", port=settings.embedded_nats_port, password=password
        )
        try:
            nats.start()
        except (RuntimeError, FileNotFoundError) as error:
            return fail(str(error))
        env["RELAYDESK_NATS_URL"] = nats.client_url
        say(f"relaydesk: embedded NATS at {nats.url} (data in {nats.data_dir})")

    def listening(service: str, url: str) -> None:
        async def announce() -> None:
            if await announce_when_healthy(service, url) and service == "store":
                # First start: a `support` department and an admin, so routing works at once.
                nats_url = env.get("RELAYDESK_NATS_URL", settings.nats_url)
                code = await asyncio.to_thread(accounts("first_start"), nats_url)
                if code:
                    say("relaydesk: could not create the first admin, see above")

        asyncio.get_running_loop().create_task(announce())

    names = services_to_start(env)
    supervisor = Supervisor(
        names, env, backoff_max=settings.restart_backoff_max, on_listening=listening
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, supervisor.stop)
        await supervisor.run()

    try:
        say(f"relaydesk: starting {', '.join(names) or 'no services'}")
        asyncio.run(main())
    finally:
        if nats:
            nats.stop()
        say("relaydesk: stopped")
    return 0


async def announce_when_healthy(service: str, url: str, timeout: float = 60.0) -> bool:
    """Say a service is ready only once its /healthz answers 200."""
    import httpx

    async with httpx.AsyncClient(timeout=1.0) as client:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    say(f"relaydesk: {service} ready at {url}/healthz")
                    if service in OPEN_HERE:
                        what, page = OPEN_HERE[service]
                        say(f"relaydesk: {what}: {url}{page}")
                    return True
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    say(f"relaydesk: {service} is not healthy after {timeout:.0f}s: see its log")
    return False


def cmd_doctor(args: argparse.Namespace) -> int:
    from services.runtime.doctor import run_checks

    problems = asyncio.run(run_checks(print))
    print("all good" if not problems else f"{problems} problem(s) found")
    return 1 if problems else 0


def render_asyncapi() -> str:
    from faststream.specification import AsyncAPI

    brokers: list[Any] = [load_factory(name)().state.broker for name in SERVICES]
    import yaml

    spec = AsyncAPI(*brokers, title="Relay Desk bus", version="1.0.0")
    document = yaml.safe_load(spec.to_specification().to_yaml())
    # Sorted keys: FastStream's own order follows set iteration, which varies by process.
    text: str = yaml.safe_dump(document, sort_keys=True, allow_unicode=True)
    return text


def cmd_asyncapi(args: argparse.Namespace) -> int:
    text = render_asyncapi()
    if args.check:
        current = ASYNCAPI_PATH.read_text() if ASYNCAPI_PATH.exists() else ""
        if current != text:
            return fail("contracts/asyncapi.yaml is stale: run `make asyncapi`", 1)
        print("contracts/asyncapi.yaml is up to date")
    elif args.write:
        ASYNCAPI_PATH.write_text(text)
        print(f"wrote {ASYNCAPI_PATH}")
    else:
        print(text)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    bench = Path.cwd() / "tests" / "bench" / "run.py"
    if not bench.exists():
        return fail("run `relaydesk bench` from a checkout (tests/bench/run.py)")
    return subprocess.call([sys.executable, str(bench), *args.only])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relaydesk", description="Relay Desk support desk")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start NATS (if needed) and every service").set_defaults(fn=cmd_up)
    run = sub.add_parser("run", help="run one service against RELAYDESK_NATS_URL")
    run.add_argument("service", choices=sorted(SERVICES))
    run.add_argument(
        "--set-webhook",
        metavar="URL",
        help="telegram: register <URL>/telegram/<account>/webhook with each bot's secret first",
    )
    run.set_defaults(fn=cmd_run)
    sub.add_parser("doctor", help="check configuration and connectivity").set_defaults(
        fn=cmd_doctor
    )
    api = sub.add_parser("asyncapi", help="print, write or check contracts/asyncapi.yaml")
    api.add_argument("--write", action="store_true")
    api.add_argument("--check", action="store_true")
    api.set_defaults(fn=cmd_asyncapi)
    agent = sub.add_parser("agent", help="manage agents").add_subparsers(
        dest="action", required=True
    )
    add = agent.add_parser("add", help="add or update an agent (the store must be running)")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=["agent", "supervisor", "admin"], default="agent")
    add.add_argument("--department", action="append", default=[], help="repeat for several")
    add.add_argument("--language", action="append", default=[], help="e.g. ru; repeatable")
    add.add_argument("--capacity", type=int, default=10, help="open tickets at most")
    add.add_argument("--password", help="default: asked for, or generated and shown once")
    add.set_defaults(fn=lambda args: accounts("agent_add")(args))
    dept = sub.add_parser("department", help="manage departments")
    dept_add = dept.add_subparsers(dest="action", required=True).add_parser(
        "add", help="add or update a department"
    )
    dept_add.add_argument("id", help="slug, e.g. billing")
    dept_add.add_argument("--name", help="shown to agents; default: the id")
    dept_add.add_argument(
        "--policy",
        choices=["least_loaded", "round_robin", "sticky", "manual"],
        default="least_loaded",
    )
    dept_add.add_argument("--signature", default="", help="appended to customer replies")
    dept_add.set_defaults(fn=lambda args: accounts("department_add")(args))
    reports = sub.add_parser("reports", help="the report tables").add_subparsers(
        dest="action", required=True
    )
    rebuild = reports.add_parser("rebuild", help="rebuild them from the EVENTS stream")
    rebuild.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")
    rebuild.set_defaults(fn=lambda args: delegated(REPORTS, "rebuild_command")(args))
    bench = sub.add_parser("bench", help="run the benchmarks (tests/bench)")
    bench.add_argument("only", nargs="*", help="benchmark names; all when omitted")
    bench.set_defaults(fn=cmd_bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.fn(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
