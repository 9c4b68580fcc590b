"""The portal's own tables in the catalogue: staff sessions, the login throttle and the counts of anonymous
refusals. Declared on the catalogue's MetaData (flows/edition/publish/database.py) and created by its Alembic
migrations (0006), unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa

from flows.edition.publish.database import metadata

# Staff sessions kept on the server (migration 0006; flows/portal/sessions.py): the cookie names a row by a
# random key whose SHA-256 only is kept here; logging out, a password change or a disabling deletes the rows,
# so a cookie captured before is worth nothing.
staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),  # SHA-256 of the cookie's key, never the key
    sa.Column("account", sa.String(80), nullable=False, index=True),
    sa.Column("created_at", sa.String(40), nullable=False),  # ISO 8601, UTC
    sa.Column("expires_at", sa.String(40), nullable=False),  # created_at + 12 h
)

# Refused logins per (name typed, address), for throttling (flows/portal/throttle.py): growing delays for
# that name from that address only, a cap per address; rows are forgotten a day after their last failure.
login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("name", sa.String(80), primary_key=True),
    sa.Column("address", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_at", sa.String(40), nullable=False),  # ISO 8601, UTC
    sa.Column("until", sa.String(40), nullable=False),  # no password checked before this moment
)

# Anonymous refusals (a /staff page without a session, a refused login), counted per hour, address, action
# and target rather than one audit line each (flows/portal/refusals.py): bounded rows per hour, kept 90 days.
refusal_counts = sa.Table(
    "refusal_counts",
    metadata,
    sa.Column("hour", sa.String(13), primary_key=True),  # 2026-12-06T21, UTC
    sa.Column("address", sa.String(64), primary_key=True),
    sa.Column("action", sa.String(40), primary_key=True),  # login or access (flows/notices/audit.py)
    sa.Column("target", sa.String(200), primary_key=True),  # the name typed, or the method and path
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_at", sa.String(40), nullable=False),
    sa.Column("last_at", sa.String(40), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),  # the last refusal's reason
)
