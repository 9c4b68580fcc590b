"""The edition's tables in the catalogue: editions, their revisions, each revision's files and the Prefect
results its build used, who holds an edition's lock, the confirmations of carried-over items and the
administrators' settings. Only the catalogue's own modules (flows/edition/publish) read or write them; the
portal and the notices go through their functions (pyproject, [tool.importlinter]).

The catalogue's other tables belong to who uses them, on the same MetaData (database.py): the staff
accounts, the audit log and the outbox to flows/notices/tables.py, the staff sessions, the login throttle
and the refusal counts to flows/portal/tables.py. The schema is created and changed only by the Alembic
migrations beside this file (migrations/versions); docs/catalogue.md describes it for operators.
"""

from __future__ import annotations

import sqlalchemy as sa

from flows.edition.publish.database import metadata

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

# The versions of an edition's inputs (migration 0008; flows/edition/publish/input_versions.py): an index of
# the records kept beside the objects (`.inputs/v<N>.….json`), which a catalogue lacking one takes back.
input_versions = sa.Table(
    "input_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("region", sa.String(80), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),  # ISO 8601, UTC
    sa.Column("author", sa.String(200), nullable=False),  # an account, or the system user
    sa.Column("origin", sa.String(200), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),  # input_versions.set_digest of its files
    sa.Column("files", sa.JSON, nullable=False),  # path relative to inputs/ → {"sha256", "size"}
    sa.UniqueConstraint("region", "year", "number", name="uq_input_versions_number"),
)
