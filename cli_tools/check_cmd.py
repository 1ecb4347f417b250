"""`inbound check`: prove every balance equals the sum of its points entries, on the database itself.

It reads the database from the settings (INBOUND_DATABASE_URL or --database-url) rather than
asking a running service, so it also works when the service is down.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import tzinfo
from typing import Any

from errors import InvalidInput
from pipeline.ledger_check import ledger_problems
from settings import Settings
from storage.database import Database, DatabaseError, missing_sqlite_file, shown_url


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="check every balance against its entries, and expired points against their lots (exit 1 if off)",
        description="Read the ledger from the database in the settings and list every balance that "
        "differs from the sum of its points entries.",
    )
    p.set_defaults(run=run, needs_admin_token=False)


async def _mismatches(url: str, tz: tzinfo) -> list[dict[str, Any]]:
    db = Database(url)
    try:
        async with db.read() as conn:
            return await ledger_problems(conn, tz)
    finally:
        await db.dispose()


def run(args: argparse.Namespace, settings: Settings) -> int:
    missing = missing_sqlite_file(settings.database_url)
    if missing is not None:
        raise InvalidInput(
            f"check: cannot read the ledger from {shown_url(settings.database_url)}: there is no database "
            f"file {missing} (is the URL right? `inbound migrate` creates it)"
        )
    try:
        problems = asyncio.run(_mismatches(settings.database_url, settings.tz))
    except (DatabaseError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise InvalidInput(
            f"check: cannot read the ledger from {shown_url(settings.database_url)}: {reason} "
            "(is the database migrated? run `inbound migrate`)"
        ) from None
    print(json.dumps({"ok": not problems, "mismatches": problems}, indent=2))
    if problems:
        print(
            f"inbound check: {len(problems)} balance(s) differ from the sum of their entries", file=sys.stderr
        )
        return 1
    return 0
