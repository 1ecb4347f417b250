"""An id once handed out (in an answer, a trace, a reason) never names another row, even after a purge.

SQLite reuses the highest ids of deleted rows unless a table is AUTOINCREMENT (migration 0006);
PostgreSQL identities never go back. End to end over HTTP on both, plus the migration on data.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from storage.database import Database
from storage.migrate import migrate
from tests.conftest import Server
from tests.helpers import create_connector, send, unique_email
from tests.test_rules_e2e import add_rule

REBUILT = ("profiles", "events", "points_entries", "samples", "admin_log")


def ids_of(server: Server, answer: dict[str, Any], email: str) -> tuple[int, int, int]:
    result = answer["results"][0]
    assert result["status"] == "processed", result
    profile = server.admin.get("/api/profiles", params={"value": email}).json()
    return result["eventId"], result["awards"][0]["entryId"], profile["id"]


def test_ids_of_purged_test_data_are_never_handed_out_again(server: Server) -> None:
    connector = create_connector(server.admin, mode="test")
    add_rule(server, connector, name="One", reward={"fixed": 1})
    seen: list[tuple[int, int, int]] = []
    for round_ in range(3):
        email = unique_email(f"purged{round_}")
        answer = send(server.client, connector, {"id": "e1", "email": email}).json()
        seen.append(ids_of(server, answer, email))
        purge = server.admin.post(f"/api/connectors/{connector['id']}/purge-test-data")
        assert purge.status_code == 200, purge.text
        assert purge.json()["purged"] == {"events": 1, "pointsEntries": 1, "profiles": 1, "requests": 1}
    for earlier, later in itertools.pairwise(seen):
        for kind, before, after in zip(("event", "entry", "profile"), earlier, later, strict=True):
            assert after > before, f"{kind} id {after} was handed out again (ids so far: {seen})"


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}"


def test_migration_0006_keeps_every_row_and_makes_sqlite_ids_autoincrement(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")

    async def before() -> None:
        db = Database(url)
        await migrate(db, "0005")
        async with db.write() as conn:
            statements = [
                "INSERT INTO connectors (id, name, auth, mapping, mapping_version, event_type, mode, status,"
                " create_profiles, allowed_origins, allow_get, created_at, updated_at) VALUES ('con_a', 'A',"
                " '{}', '$', 1, 'custom.basic', 'test', 'active', 1, '[]', 0, :now, :now)",
                "INSERT INTO profiles (id, kind, value, test, created_at) VALUES"
                " (1, 'default', 'a@x.io', 0, :now), (2, 'default', 'b@x.io', 1, :now)",
                "INSERT INTO balances (profile_id, test, balance, lifetime, updated_at) VALUES"
                " (1, 0, 5, 5, :now), (2, 1, 3, 3, :now)",
                'INSERT INTO events (id, request_id, connector_id, "index", sub_index, event_type, status,'
                " trace, mapping_version, test, occurred_at, received_at) VALUES"
                " (1, 'req_1', 'con_a', 0, 0, 'custom.basic', 'processed', '[]', 1, 0, :now, :now),"
                " (2, 'req_2', 'con_a', 0, 0, 'custom.basic', 'processed', '[]', 1, 1, :now, :now)",
                "INSERT INTO points_entries (id, profile_id, points, kind, rule_id, event_id, test,"
                " occurred_at, created_at) VALUES (1, 1, 5, 'award', 'rul_a', 1, 0, :now, :now),"
                " (2, 2, 3, 'award', 'rul_a', 2, 1, :now, :now)",
                'INSERT INTO samples (id, connector_id, name, headers, "query", mapping_version,'
                " created_at) VALUES (1, 'con_a', 's', '{}', '{}', 1, :now)",
                "INSERT INTO admin_log (id, action, details, created_at) VALUES (1, 'replay', '{}', :now)",
            ]
            for statement in statements:
                await conn.execute(text(statement), {"now": now})
        await migrate(db)
        await db.dispose()

    asyncio.run(before())
    with sqlite3.connect(tmp_path / "upgrade.db") as conn:
        ddl = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
        for table in REBUILT:
            assert "AUTOINCREMENT" in ddl[table], ddl[table]
        # Nothing lost: the balances (which a rebuild of profiles would cascade-delete) and entries.
        assert conn.execute("SELECT profile_id, test, balance FROM balances ORDER BY 1").fetchall() == [
            (1, 0, 5),
            (2, 1, 3),
        ]
        assert conn.execute("SELECT id, profile_id, points FROM points_entries ORDER BY 1").fetchall() == [
            (1, 1, 5),
            (2, 2, 3),
        ]
        for table in REBUILT:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] >= 1, table
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert not [name for name in ddl if name.startswith("_")], ddl  # no stash or batch table left
        # A purge-like delete of the newest rows: the next ids go on from the highest ever held.
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("DELETE FROM points_entries WHERE id = 2")
        conn.execute("DELETE FROM balances WHERE profile_id = 2")
        conn.execute("DELETE FROM profiles WHERE id = 2")
        conn.execute("DELETE FROM events WHERE id = 2")
        new_profile = conn.execute(
            "INSERT INTO profiles (kind, value, test, created_at) VALUES ('default', 'c@x.io', 1, ?)", (now,)
        ).lastrowid
        new_event = conn.execute(
            'INSERT INTO events (request_id, connector_id, "index", sub_index, event_type, status, trace,'
            " mapping_version, test, occurred_at, received_at) VALUES"
            " ('req_3', 'con_a', 0, 0, 'custom.basic', 'processed', '[]', 1, 1, ?, ?)",
            (now, now),
        ).lastrowid
        new_entry = conn.execute(
            "INSERT INTO points_entries (profile_id, points, kind, test, occurred_at, created_at)"
            " VALUES (1, 1, 'adjustment', 0, ?, ?)",
            (now, now),
        ).lastrowid
        assert (new_profile, new_event, new_entry) == (3, 3, 3)
