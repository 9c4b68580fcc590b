"""The administrators' settings of a region's editions: whether the person who launched a draft may
approve it (the exception to the four-eyes rule, read until now from the draft's own edition.toml).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval_settings",
        sa.Column("region", sa.String(80), primary_key=True),
        sa.Column("self_approval", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("approval_settings")
