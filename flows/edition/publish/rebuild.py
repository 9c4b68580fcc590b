"""`fir repair --reconstruire-catalogue`: a new catalogue made from the records beside the files (records.py).

SQLite: the damaged file (with its write-ahead log) is moved aside under a dated name, never deleted; a new
catalogue is created, and the staff accounts, the audit log and the confirmations of carried-over items —
which the records do not hold — are copied from the damaged file when it can still be read (table by table).
PostgreSQL: the catalogue is rebuilt into the database FIR_DATABASE_URL names, which must hold no revision
(a new, empty database the operator created): a server's database is never emptied by this command.
The revisions, their files and decisions come back from the records through the usual recovery.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from flows.edition.publish import database
from flows.edition.publish.tables import revisions

# The staff accounts and the audit log (flows/notices/tables.py) and the confirmations: named, and read as
# the new catalogue's migrations made them, the edition importing no other owner's tables.
KEPT_TABLES = ("users", "audit_log", "confirmations")


class NothingToRebuild(Exception):
    """The catalogue is not damaged (SQLite), or the database named already holds one (PostgreSQL): said in
    French, with what to do instead."""


@dataclass
class Rebuilt:
    where: str
    set_aside: list[Path] = field(default_factory=list)  # the damaged file and its log, under their new names
    copied: dict[str, int | None] = field(default_factory=dict)  # table → rows copied (None: unreadable)


def prepare(outputs: Path) -> Rebuilt:
    """Make room for a catalogue rebuilt from the records (module docstring); the recovery does the rest."""
    from flows.commands import suggest
    from flows.edition.publish import store

    repair = suggest("repair", outputs=outputs)
    outputs.mkdir(parents=True, exist_ok=True)
    url = database.database_url(outputs)
    where = database.safe_url(url)
    if sa.make_url(url).get_backend_name() != "sqlite":
        catalogue = store.open_catalogue(outputs)
        with catalogue.engine.connect() as connection:
            held = connection.scalar(sa.select(sa.func.count()).select_from(revisions))
        if held:
            raise NothingToRebuild(
                f"la base {where} contient déjà un catalogue ({held} révision(s)) : elle n'est jamais vidée par "
                "cette commande. Créer une base vide (createdb), la nommer dans FIR_DATABASE_URL, puis relancer ; "
                f"ou lancer « {repair} », qui reprend dans ce catalogue ce que les enregistrements "
                "ont de plus"
            )
        return Rebuilt(where)
    path = outputs / database.SQLITE_NAME
    if path.is_file() and _healthy(path):
        raise NothingToRebuild(
            f"le catalogue {path} n'est pas endommagé : rien à reconstruire. « {repair} » (sans option) reprend "
            "dans le catalogue ce que les enregistrements des révisions ont de plus"
        )
    rebuilt = Rebuilt(where, database.set_aside(outputs))
    engine = store.open_catalogue(outputs).engine  # a new catalogue, at the current schema
    if rebuilt.set_aside:
        rebuilt.copied = _copy_tables(rebuilt.set_aside[0], engine)
    return rebuilt


def _healthy(path: Path) -> bool:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return [row[0] for row in connection.execute("PRAGMA quick_check")] == ["ok"]
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return False


def _copy_tables(damaged: Path, engine: sa.Engine) -> dict[str, int | None]:
    """Copy the tables records do not hold from the damaged file, each whole or not at all."""
    copied: dict[str, int | None] = {}
    try:
        source = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return dict.fromkeys(KEPT_TABLES)
    try:
        for name in KEPT_TABLES:
            try:
                table = sa.Table(name, sa.MetaData(), autoload_with=engine)
                cursor = source.execute(f"SELECT * FROM {name}")  # a name of ours, never input
                columns = [d[0] for d in cursor.description]
                rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
                known = {c.name for c in table.columns}
                rows = [{k: v for k, v in row.items() if k in known} for row in rows]
                if rows:
                    with engine.begin() as connection:
                        connection.execute(sa.insert(table), rows)
                copied[name] = len(rows)
            except (sqlite3.DatabaseError, sa.exc.SQLAlchemyError):
                copied[name] = None
    finally:
        source.close()
    return copied
