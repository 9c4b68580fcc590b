"""Confirmations of what an edition carries over unchanged from an earlier one (validate/carried_over.py):
one row per item confirmed, by whom and when. An item's key holds a hash of its content, so a confirmation
lapses by itself when the content changes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "confirmations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("region", sa.String(80), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("item_key", sa.String(600), nullable=False),
        sa.Column("source", sa.String(400), nullable=False),
        sa.Column("confirmed_by", sa.String(200), nullable=False),
        sa.Column("confirmed_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("region", "year", "item_key", name="uq_confirmations_item"),
    )


def downgrade() -> None:
    op.drop_table("confirmations")
