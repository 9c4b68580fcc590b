"""The catalogue's tables: editions, their revisions, each revision's files and the Prefect results its
build used, who holds an edition's lock, the portal's staff accounts, the audit log and the administrators'
settings. The schema is created and changed only by the Alembic migrations beside this file
(migrations/versions); docs/catalogue.md describes it for operators.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

editions = sa.Table(
    "editions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("region", sa.String(80), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("region_name", sa.String(200), nullable=False),
    sa.UniqueConstraint("region", "year", name="uq_editions_region_year"),
)

revisions = sa.Table(
    "revisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("edition_id", sa.Integer, sa.ForeignKey("editions.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("published_at", sa.String(40), nullable=False),  # ISO 8601 with the agency's UTC offset
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("trigger", sa.String(20), nullable=False),
    sa.Column("code_version", sa.String(80), nullable=False),
    sa.Column("inputs_digest", sa.String(64), nullable=False),
    sa.Column("pages", sa.Integer, nullable=False),
    # The rest of the revision's record, as publish/manifest.py types it: inputs, warnings, erratum, figures.
    sa.Column("record", sa.JSON, nullable=False),
    # Every build makes a draft; an approver publishes it or rejects it (migration 0003).
    sa.Column("status", sa.String(20), nullable=False, server_default="published"),  # draft, published, rejected
    sa.Column("launched_by", sa.String(200), nullable=False, server_default=""),  # account, or system user
    sa.Column("based_on", sa.Integer, nullable=True),  # the publication its erratum was computed against
    sa.Column("decided_by", sa.String(200), nullable=True),
    sa.Column("decided_at", sa.String(40), nullable=True),
    sa.Column("decision_comment", sa.Text, nullable=True),
    # A revision number is given once per edition: the database refuses a second revision N.
    sa.UniqueConstraint("edition_id", "number", name="uq_revisions_edition_number"),
)

revision_files = sa.Table(
    "revision_files",
    metadata,
    sa.Column("revision_id", sa.Integer, sa.ForeignKey("revisions.id"), primary_key=True),
    # "pdf" (published), "archive" (PDF/A-3) or "draft" (the pdf marked "PROJET — ne pas diffuser")
    sa.Column("role", sa.String(20), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),  # the file's name in the views
    sa.Column("sha256", sa.String(64), nullable=False),  # its content's name in the edition's .objects/
    sa.Column("size", sa.BigInteger, nullable=False),
)

revision_results = sa.Table(
    "revision_results",
    metadata,
    sa.Column("revision_id", sa.Integer, sa.ForeignKey("revisions.id"), primary_key=True),
    sa.Column("storage_key", sa.String(200), primary_key=True),  # a file name in Prefect's result storage
)

edition_locks = sa.Table(
    "edition_locks",
    metadata,
    sa.Column("region", sa.String(80), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("since", sa.String(40), nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),  # the login, lower case
    sa.Column("display_name", sa.String(200), nullable=False),  # the person, as approvals name them
    sa.Column("role", sa.String(20), nullable=False),  # editor, approver or admin (flows/portal/accounts.py)
    sa.Column("password_hash", sa.String(200), nullable=False),  # Argon2id, never the password
    sa.Column("email", sa.String(254), nullable=True),  # where notifications go (none: no e-mail)
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    # Raised by a password change or a disabling: sessions signed with an older version are refused.
    sa.Column("session_version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.UniqueConstraint("name", name="uq_users_name"),
)

# Append-only: triggers created by migration 0003 refuse any update or deletion (flows/portal/audit.py).
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

# What an edition carries over unchanged from an earlier one, confirmed by a person (migration 0004;
# flows/edition/publish/confirmations.py). The key holds a hash of the item's content.
confirmations = sa.Table(
    "confirmations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("region", sa.String(80), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("item_key", sa.String(600), nullable=False),  # validate/carried_over.py Item.key
    sa.Column("source", sa.String(400), nullable=False),  # the file, relative to inputs/
    sa.Column("confirmed_by", sa.String(200), nullable=False),  # an account, or the system user
    sa.Column("confirmed_at", sa.String(40), nullable=False),  # ISO 8601, UTC
    sa.UniqueConstraint("region", "year", "item_key", name="uq_confirmations_item"),
)

# The administrators' settings of a region's editions (migration 0005; flows/edition/publish/settings.py):
# whether the person who launched a draft may approve it (a one-person team). Changed only by an
# administrator, in the portal or with `fir reglages`, each change in the audit log.
approval_settings = sa.Table(
    "approval_settings",
    metadata,
    sa.Column("region", sa.String(80), primary_key=True),
    sa.Column("self_approval", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("changed_by", sa.String(200), nullable=False),  # an account, or the system user
    sa.Column("changed_at", sa.String(40), nullable=False),  # ISO 8601, UTC
)

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
    sa.Column("action", sa.String(40), primary_key=True),  # login or access (flows/portal/audit.py)
    sa.Column("target", sa.String(200), primary_key=True),  # the name typed, or the method and path
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_at", sa.String(40), nullable=False),
    sa.Column("last_at", sa.String(40), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),  # the last refusal's reason
)

# What a commit owes the outside world: e-mails and Prefect artifacts, written in the transaction that makes
# them true and sent after it, retried until delivered (migration 0007; flows/portal/outbox.py).
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
