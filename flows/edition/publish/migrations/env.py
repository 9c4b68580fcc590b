"""Alembic's entry point for the catalogue. Run by `database.migrate` on a connection it opens, never
from an alembic.ini: every `fir` command applies the pending migrations itself, idempotently.

The migrations are written by hand. The MetaData holds the tables of the modules imported: a comparison
with it (alembic's autogenerate, tests/test_schema.py) imports the three owners' tables first (the edition's
tables.py, flows/notices/tables.py, flows/portal/tables.py), as the edition may not import the other two."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from flows.edition.publish.database import VERSION_TABLE, metadata

MIGRATION_LOCK = 0x46495243  # "FIRC": one migrating process at a time on a shared PostgreSQL

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.run_migrations()
