"""The layers stay apart: domain packages are pure, and SQL lives in storage/.

* `connectors/`, `mapping/`, `earning_rules/`, `event_types/`, `handoff/` import no storage, no
  pipeline, no HTTP framework and no database library.
* Only `storage/` imports SQLAlchemy, SQLModel or a database driver. Other layers hold a
  connection only to pass it on to storage/ functions, as `storage.database.Connection`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ("connectors", "mapping", "earning_rules", "event_types", "handoff")
DATABASE = ("sqlalchemy", "sqlmodel", "asyncpg", "aiosqlite", "sqlite3", "alembic")
NOT_STORAGE = ("api", "pipeline", "cli_tools", "console", "openapi", "rewards", "webhooks", "expiry")
NOT_IN_DOMAIN = ("storage", "pipeline", "api", "app", "starlette", "uvicorn", "httpx", *DATABASE)



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
        for path in [*python_files(*NOT_STORAGE, *DOMAIN), *ROOT.glob("*.py")]
        if imported(path) & set(DATABASE)
    }
    assert outside == set(), "SQL outside storage/: add a storage/ function instead"
