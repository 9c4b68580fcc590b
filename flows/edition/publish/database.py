"""The catalogue's database: SQLite in WAL mode under outputs/ by default, PostgreSQL when the agency
provides one (`FIR_DATABASE_URL`, e.g. `postgresql+psycopg://fir@db.example/fir`). Every opening applies
the pending Alembic migrations, so a new version of the tool upgrades the schema by itself.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flows.edition.publish.errors import CatalogueDamaged, DatabaseUnavailable, is_damage

DATABASE_URL_VARIABLE = "FIR_DATABASE_URL"
SQLITE_NAME = "catalogue.sqlite3"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "fir_catalogue_version"  # not alembic_version: a shared PostgreSQL may hold others

# The catalogue's schema, one MetaData for every table of the database, each declared by its owner: the
# edition's (tables.py), the notices' (flows/notices/tables.py) and the portal's (flows/portal/tables.py).
metadata = sa.MetaData()


def database_url(outputs: Path) -> str:
    """`FIR_DATABASE_URL` when set, else the SQLite catalogue inside `outputs`."""
    return os.environ.get(DATABASE_URL_VARIABLE) or f"sqlite:///{outputs.resolve() / SQLITE_NAME}"


def catalogue_exists(outputs: Path) -> bool:
    """Whether there is a catalogue to read: a database server, or the SQLite file under `outputs`."""
    return bool(os.environ.get(DATABASE_URL_VARIABLE)) or (outputs / SQLITE_NAME).is_file()


def safe_url(url: str) -> str:
    """The URL as messages may show it: never its password."""
    return sa.make_url(url).render_as_string(hide_password=True)


def create_engine(url: str) -> Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 60})
        sa.event.listen(engine, "connect", _sqlite_connection)
        # Every transaction takes the write lock at once (BEGIN IMMEDIATE): a read-then-write transaction
        # cannot be refused half-way because another edition committed meanwhile (SQLITE_BUSY_SNAPSHOT).
        sa.event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return sa.create_engine(url, pool_pre_ping=True, connect_args=_postgres_args(parsed))


def _sqlite_connection(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the portal) never wait for a publication
    cursor.execute("PRAGMA synchronous=FULL")  # a commit survives a power cut, not only a crash
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def _postgres_args(url: sa.URL) -> dict[str, object]:
    return {"connect_timeout": 10, "application_name": "fir"} if url.get_backend_name() == "postgresql" else {}


_MIGRATION_ATTEMPTS = 5


def open_database(outputs: Path) -> Engine:
    """An engine on the catalogue, its schema migrated to the current version."""
    url = database_url(outputs)
    where = safe_url(url)
    engine = create_engine(url)
    for attempt in range(1, _MIGRATION_ATTEMPTS + 1):
        started = time.monotonic()
        try:
            migrate(engine)
            check(engine)
            return engine
        except sa.exc.DatabaseError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            if attempt < _MIGRATION_ATTEMPTS and _opening_race(detail, time.monotonic() - started):
                time.sleep(0.2 * attempt)
                continue
            engine.dispose()
            if is_damage(detail):
                raise CatalogueDamaged(where, detail) from exc
            raise DatabaseUnavailable(where, detail) from exc
    raise AssertionError("unreachable")


def _opening_race(detail: str, waited_s: float) -> bool:
    """Whether a failed opening met another process opening the same new catalogue, so that trying again
    succeeds: the tables it created meanwhile (PostgreSQL without the lock's table yet), or SQLite refusing
    at once, without waiting, a connection that would otherwise deadlock while the new file turns to WAL
    mode. A lock held for the whole busy timeout is not such a race: it is told, not waited for again."""
    return "already exists" in detail or ("database is locked" in detail and waited_s < 5)


def check(engine: Engine) -> None:
    """Refuse a damaged SQLite file at once (PRAGMA quick_check: milliseconds for a catalogue), rather than
    halfway through a run that reads the damaged page."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        found = [row[0] for row in connection.exec_driver_sql("PRAGMA quick_check")]
    if found != ["ok"]:
        raise CatalogueDamaged(safe_url(str(engine.url)), f"database disk image is malformed ({found[0]})")


DAMAGED = "catalogue-endommage-{when}.sqlite3"


def set_aside(outputs: Path, now: dt.datetime | None = None) -> list[Path]:
    """Move the SQLite catalogue of `outputs` (with its write-ahead log) aside, under a dated name, never
    deleting it; the paths it now has (none when there was no file)."""
    base = outputs / SQLITE_NAME
    when = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = outputs / DAMAGED.format(when=when)
    moved = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        source = base.with_name(base.name + suffix)
        if source.is_file():
            destination = target.with_name(target.name + suffix)
            os.replace(source, destination)
            moved.append(destination)
    return moved


def migrate(engine: Engine) -> None:
    """Apply every pending migration (none when the schema is current); safe to run from many processes. A
    current schema is seen without importing Alembic (0.2 to 0.4 s of every command, a no-change build's most)."""
    if _schema_current(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # One transaction for the whole upgrade, opened here: on SQLite its BEGIN IMMEDIATE takes the write lock
    # before Alembic reads the schema's version, so a process that waited for another's upgrade reads the
    # version that upgrade left, never plans the same steps again (Alembic alone commits each step apart).
    with engine.connect() as connection, connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def script_head() -> str | None:
    """The newest migration's revision, read from the scripts' `revision` and `down_revision` lines; None
    unless there is exactly one (Alembic then reads the scripts itself)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revisions.update(re.findall(r'^revision\s*=\s*"([^"]+)"', text, re.MULTILINE))
        parents.update(re.findall(r'^down_revision\s*=\s*"([^"]+)"', text, re.MULTILINE))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _schema_current(engine: Engine) -> bool:
    """Whether the catalogue's schema is at the newest migration (a failure to connect is raised, as
    Alembic's would be)."""
    head = script_head()
    if head is None:
        return False
    with engine.connect() as connection:
        try:
            found = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        except sa.exc.DatabaseError:  # no catalogue yet, or an older one: Alembic creates or upgrades it
            return False
    return found == [head]
