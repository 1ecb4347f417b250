"""The `inbound` command: serve, migrate, demo, and the developer's tools (map, send, replay, check).

The tools live in `cli_tools/`, one module per subcommand; see docs/cli.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from cli_tools import check_cmd, map_cmd, replay_cmd, send_cmd
from errors import InboundError
from settings import Settings, ensure_admin_token, load_settings
from storage.database import Database
from storage.migrate import migrate


async def _migrate(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await migrate(db)
    finally:
        await db.dispose()


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_migrate(settings))
    print(f"database is up to date: {settings.database_url}")
    return 0


def _port_problem(settings: Settings) -> bool:
    from cli_tools.serve import port_in_use

    problem = port_in_use(settings)
    if problem is not None:
        print(problem, file=sys.stderr)
    return problem is not None


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from cli_tools.serve import serve

    if _port_problem(settings):
        return 2
    asyncio.run(_migrate(settings))
    serve(settings, workers=getattr(args, "workers", 1))
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from demo import load_demo, print_welcome

    if _port_problem(settings):
        return 2
    asyncio.run(_migrate(settings))
    loaded = asyncio.run(load_demo(settings))
    print_welcome(settings, loaded)
    return cmd_serve(args, settings)


async def _prune(settings: Settings) -> dict[str, int]:
    from pipeline.retention import prune

    db = Database(settings.database_url)
    try:
        return (await prune(db, settings)).to_json()
    finally:
        await db.dispose()


async def _expire(settings: Settings) -> dict[str, int]:
    from pipeline.expiry import expire

    db = Database(settings.database_url)
    try:
        return (await expire(db, settings)).to_json()
    finally:
        await db.dispose()


def cmd_expire(args: argparse.Namespace, settings: Settings) -> int:
    done = asyncio.run(_expire(settings))
    print(
        f"expired {done['points']} points of {done['members']} members in {done['entries']} entries, "
        f"and {done['rewards']} issued rewards past their validDays"
    )
    return 0


def cmd_prune(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_migrate(settings))
    pruned = asyncio.run(_prune(settings))
    print(
        f"pruned {pruned['requestRows']} request-log rows older than {settings.retention_request_days} days "
        f"and the raw payloads of {pruned['rawPayloads']} events older than {settings.retention_raw_days} "
        "days (0 days: kept forever); ledger entries are never pruned"
    )
    return 0


async def _rotate_key(settings: Settings) -> int:
    from storage.connectors import reseal_all
    from storage.event_types import reseal_secrets

    db = Database(settings.database_url)
    try:
        async with db.write() as conn:
            return await reseal_all(conn) + await reseal_secrets(conn)
    finally:
        await db.dispose()


def cmd_rotate_key(args: argparse.Namespace, settings: Settings) -> int:
    """A new key first in .inbound/secret-key (the old ones stay after it, so nothing is locked
    out), then every credential sealed with it. With INBOUND_SECRET_KEY, rotate it yourself:
    put the new key first, keep the old after a comma, and run this."""
    import os

    from cryptography.fernet import Fernet

    from storage import secrets

    asyncio.run(_migrate(settings))
    if not os.environ.get("INBOUND_SECRET_KEY"):
        old = secrets.key_lines()
        secrets.KEY_FILE.write_text("\n".join([Fernet.generate_key().decode(), *old]) + "\n")
    count = asyncio.run(_rotate_key(settings))
    where = "INBOUND_SECRET_KEY" if os.environ.get("INBOUND_SECRET_KEY") else str(secrets.KEY_FILE)
    print(f"sealed {count} credentials and event type secrets with the first key of {where}")
    return 0


def _service_options(parser: argparse.ArgumentParser, default: object) -> None:
    # A subcommand's copy defaults to SUPPRESS so it never overwrites a value given before it.
    parser.add_argument("--database-url", default=default, help="overrides INBOUND_DATABASE_URL")
    parser.add_argument("--host", default=default, help="overrides INBOUND_HOST")
    parser.add_argument("--port", type=int, default=default, help="overrides INBOUND_PORT")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbound", description="Turn events from other systems into loyalty points."
    )
    _service_options(parser, None)
    sub = parser.add_subparsers(dest="command", required=True)
    # The service commands take the same options after their name too: `inbound serve --port 8080`.
    for name, run, text in (
        ("serve", cmd_serve, "migrate the database and start the service"),
        ("migrate", cmd_migrate, "bring the database schema up to date"),
        ("prune", cmd_prune, "apply the retention periods now (the service does it every hour)"),
        ("expire", cmd_expire, "expire points past the expiry policy and rewards past validDays, now"),
        ("rotate-key", cmd_rotate_key, "seal every stored credential with a new secret key"),
        (
            "demo",
            cmd_demo,
            "migrate, load the demo connectors from examples/, print how to send an event, and serve",
        ),
    ):
        command = sub.add_parser(name, help=text)
        _service_options(command, argparse.SUPPRESS)
        command.set_defaults(run=run)
        if name == "serve":
            command.add_argument(
                "--workers", type=int, default=1, help="server processes sharing the port (default 1)"
            )
    for tool in (map_cmd, send_cmd, replay_cmd, check_cmd):
        tool.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help (0) and usage errors (2); return it instead
        return exc.code if isinstance(exc.code, int) else 2
    overrides = {
        k: v
        for k, v in {"database_url": args.database_url, "host": args.host, "port": args.port}.items()
        if v
    }
    try:
        settings = load_settings(**overrides)
        # Only the service needs its admin token; the tools must not create .inbound/ wherever they run.
        if getattr(args, "needs_admin_token", True):
            settings = ensure_admin_token(settings)
        return int(args.run(args, settings))
    except InboundError as exc:
        print(f"inbound: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
