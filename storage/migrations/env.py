"""Alembic environment: runs on the connection handed over by storage.migrate (async engines)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.tables  # noqa: F401 - registers the tables on the metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # ALTER on SQLite goes through table copies
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
