"""Alembic environment: runs migrations on the connection handed over by `activity.upgrade`."""

from __future__ import annotations

from alembic import context

from orchestrator.adapters.sql.records import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
