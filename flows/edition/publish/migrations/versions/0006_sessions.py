"""Staff sessions kept on the server (logout revokes them), login throttling per name and address, and
anonymous refusals counted per hour instead of one audit line each (issue 24, points 10, 14 and 15).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("account", sa.String(80), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_staff_sessions_account", "staff_sessions", ["account"])
    op.create_table(
        "login_throttle",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_at", sa.String(40), nullable=False),
        sa.Column("until", sa.String(40), nullable=False),
    )
    op.create_table(
        "refusal_counts",
        sa.Column("hour", sa.String(13), primary_key=True),
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("action", sa.String(40), primary_key=True),
        sa.Column("target", sa.String(200), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_at", sa.String(40), nullable=False),
        sa.Column("last_at", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("refusal_counts")
    op.drop_table("login_throttle")
    op.drop_index("ix_staff_sessions_account", "staff_sessions")
    op.drop_table("staff_sessions")
