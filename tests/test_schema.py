"""The catalogue's tables, as the packages that own them declare them on its one MetaData (the edition's
flows/edition/publish/tables.py, flows/notices/tables.py, flows/portal/tables.py), are the schema its
Alembic migrations make, on both databases: a declaration moved to another package changes no column,
type, key or index, and every table has one owner (README, « Layout »)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from flows.edition.publish import database, store
from flows.edition.publish import tables as edition_tables
from flows.notices import tables as notices_tables
from flows.portal import tables as portal_tables

OWNERS = {
    edition_tables: {
        "editions",
        "revisions",
        "revision_files",
        "revision_results",
        "edition_locks",
        "confirmations",
        "approval_settings",
        "input_versions",
    },
    notices_tables: {"users", "audit_log", "outbox"},
    portal_tables: {"staff_sessions", "login_throttle", "refusal_counts"},
}


def _declared(owner: ModuleType) -> set[str]:
    return {table.name for table in vars(owner).values() if isinstance(table, sa.Table)}


def test_every_table_is_declared_by_its_owner_on_the_catalogues_one_metadata():
    for owner, names in OWNERS.items():
        assert _declared(owner) == names, owner.__name__
        assert all(database.metadata.tables[name] is getattr(owner, name) for name in names)
    assert set(database.metadata.tables) == set().union(*OWNERS.values())


def test_the_declared_tables_are_the_schema_the_migrations_make(catalogue_backend: str, tmp_path: Path):
    catalogue = store.open_catalogue(tmp_path / "outputs")
    with catalogue.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, database.metadata)
    version_table = "fir_catalogue_version"  # Alembic's own (migrations/env.py), in no MetaData
    assert [d for d in differences if not (d[0] == "remove_table" and d[1].name == version_table)] == []


def test_a_rebuilt_catalogue_copies_the_accounts_audit_log_and_confirmations_by_name(tmp_path: Path, monkeypatch):
    """`fir repair --reconstruire-catalogue` (flows/edition/publish/rebuild.py) copies the tables the records
    do not hold, whose owners the edition may not import: read by name, as the new catalogue's migrations
    made them, every row and column kept."""
    from flows.edition.publish import confirmations, rebuild
    from flows.edition.validate.carried_over import TEXT, Item
    from flows.notices import audit
    from flows.portal import accounts

    monkeypatch.delenv("FIR_DATABASE_URL", raising=False)
    old = store.open_catalogue(tmp_path / "old").engine
    accounts.add(old, "m.dupont", "approver", "un mot de passe assez long", "Marie Dupont", "m.dupont@ars.example")
    accounts.disable(old, "m.dupont")
    audit.record(old, "m.dupont", "192.0.2.7", audit.LOGIN, "m.dupont", audit.REFUSED, "mot de passe refusé")
    item = Item(
        TEXT, "hauts-de-france/2024/texts/intro.md", 1, "Le Fonds d'intervention régional", "text:intro:0123abcd"
    )
    confirmations.record(old, "hauts-de-france", 2024, [item], "root")
    old.dispose()
    new = store.open_catalogue(tmp_path / "new").engine
    copied = rebuild._copy_tables(tmp_path / "old" / database.SQLITE_NAME, new)
    assert copied == {"users": 1, "audit_log": 1, "confirmations": 1}
    for name in copied:
        query = sa.text(f"SELECT * FROM {name}")  # a name of ours
        with old.connect() as before, new.connect() as after:
            assert [tuple(r) for r in after.execute(query)] == [tuple(r) for r in before.execute(query)]
    [account] = accounts.listing(new)
    assert (account.display_name, account.disabled, account.email) == ("Marie Dupont", True, "m.dupont@ars.example")
