"""The layers stay apart: domain packages are pure, and SQL lives in storage/.

* `connectors/`, `mapping/`, `earning_rules/`, `event_types/`, `handoff/` import no storage, no
  pipeline, no HTTP framework and no database library.
* Only `storage/` imports SQLAlchemy, SQLModel or a database driver. The modules that still do
  (they pass SQLAlchemy connections around, from before the group writer) are listed here, and
  the list may only shrink: a new module that talks SQL outside storage/ fails this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ("connectors", "mapping", "earning_rules", "event_types", "handoff")
DATABASE = ("sqlalchemy", "sqlmodel", "asyncpg", "aiosqlite", "sqlite3", "alembic")
NOT_IN_DOMAIN = ("storage", "pipeline", "api", "app", "starlette", "uvicorn", "httpx", *DATABASE)

# Still passing SQLAlchemy connections outside storage/: to move behind storage/ functions.
STILL_OUTSIDE = {
    "pipeline/chain.py", "pipeline/receive.py", "pipeline/replay.py", "pipeline/replay_chunks.py",
    "pipeline/reversal.py",
}  # fmt: skip


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_domain_packages_are_pure() -> None:
    problems = {
        str(path.relative_to(ROOT)): sorted(imported(path) & set(NOT_IN_DOMAIN))
        for path in python_files(*DOMAIN)
    }
    assert {k: v for k, v in problems.items() if v} == {}


def test_only_storage_talks_to_the_database() -> None:
    outside = {
        str(path.relative_to(ROOT))
        for path in [*python_files("api", "pipeline", "cli_tools", *DOMAIN), *ROOT.glob("*.py")]
        if imported(path) & set(DATABASE)
    }
    assert outside - STILL_OUTSIDE == set(), "SQL outside storage/: add a storage/ function instead"
    assert STILL_OUTSIDE - outside == set(), "no longer outside storage/: take it off the list"
