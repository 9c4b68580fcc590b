"""The versions of each edition's inputs (flows/edition/publish/input_versions.py): who changed which files,
when, from where and why; each revision's record names the version it was built from.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "input_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("region", sa.String(80), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.UniqueConstraint("region", "year", "number", name="uq_input_versions_number"),
    )


def downgrade() -> None:
    op.drop_table("input_versions")
