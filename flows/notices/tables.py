"""The notices' tables in the catalogue: the staff accounts (whom notices are addressed to, how people are
named), the audit log and the outbox of messages owed. Declared on the catalogue's MetaData
(flows/edition/publish/database.py) and created by its Alembic migrations (0002, 0003, 0007), unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa

from flows.edition.publish.database import metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),  # the login, lower case
    sa.Column("display_name", sa.String(200), nullable=False),  # the person, as approvals name them
    sa.Column("role", sa.String(20), nullable=False),  # editor, approver or admin (flows/notices/accounts.py ROLES)
    sa.Column("password_hash", sa.String(200), nullable=False),  # Argon2id, never the password
    sa.Column("email", sa.String(254), nullable=True),  # where notifications go (none: no e-mail)
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    # Raised by a password change or a disabling: sessions signed with an older version are refused.
    sa.Column("session_version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.UniqueConstraint("name", name="uq_users_name"),
)

# Append-only: triggers created by migration 0003 refuse any update or deletion (flows/notices/audit.py).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.String(40), nullable=False),  # ISO 8601, UTC
    sa.Column("actor", sa.String(200), nullable=False),  # an account name, or "système:<user>" on the command line
    sa.Column("address", sa.String(64), nullable=False),  # the client's IP address, or the host name
    sa.Column("action", sa.String(40), nullable=False),  # login, build, approve, reject, draft-download, account…
    sa.Column("target", sa.String(200), nullable=False),  # what it acted on: "hauts-de-france 2024 r3", an account
    sa.Column("outcome", sa.String(20), nullable=False),  # ok, refused, failed
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("ix_audit_log_action_at", "action", "at"),
)


# What a commit owes the outside world: e-mails and Prefect artifacts, written in the transaction that makes
# them true and sent after it, retried until delivered (migration 0007; flows/notices/outbox.py).
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.String(40), nullable=False),  # ISO 8601, UTC
    sa.Column("kind", sa.String(20), nullable=False),  # email, artifact
    sa.Column("payload", sa.JSON, nullable=False),  # recipients, subject, body; or run, key, markdown
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt", sa.Float, nullable=False),  # Unix time: not tried again before
    sa.Column("claimed_until", sa.Float, nullable=True),  # a process sending it, until then
    sa.Column("claimed_by", sa.String(255), nullable=True),  # that process: pid@host
    sa.Column("done_at", sa.String(40), nullable=True),  # NULL: still owed
    sa.Column("outcome", sa.String(20), nullable=True),  # sent, abandoned (an artifact whose run is gone)
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index("ix_outbox_pending", "done_at", "next_attempt"),
)
