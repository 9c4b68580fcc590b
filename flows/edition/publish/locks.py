"""One run at a time per edition, and a waiting run says who it waits for.

With SQLite the lock is an advisory file lock (`flock`) on `outputs/<region>/<year>/.lock`; with
PostgreSQL it is a session-level advisory lock of the database, so runs on two machines sharing one
catalogue (and one outputs/ folder) are serialised too. Either way the operating system or the database
server releases it when its holder dies: a lock left by a killed run is simply taken by the next one.
Who holds it (process, host, since when) is written in the catalogue's `edition_locks` table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from filelock import FileLock, Timeout
from sqlalchemy.engine import Connection, Engine

from flows.edition.publish.errors import Holder, LockTimeout
from flows.edition.publish.tables import edition_locks

POLL_S = 0.5


def lock_key(region: str, year: int) -> int:
    """The edition's PostgreSQL advisory lock key: a signed 64-bit number derived from its name."""
    digest = hashlib.sha256(f"fir-edition:{region}:{year}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def holder(engine: Engine, region: str, year: int) -> Holder | None:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(edition_locks.c.pid, edition_locks.c.host, edition_locks.c.since).where(
                edition_locks.c.region == region, edition_locks.c.year == year
            )
        ).first()
    return Holder(row.pid, row.host, row.since) if row else None


@contextmanager
def edition_lock(
    engine: Engine,
    folder: Path,
    region: str,
    year: int,
    timeout: float,
    on_wait: Callable[[str, Holder | None], None] | None = None,
) -> Iterator[None]:
    """Hold the edition's lock for the block; wait at most `timeout` s (LockTimeout), calling `on_wait` once."""
    if engine.dialect.name == "postgresql":
        # The lock lives as long as this connection's session, which is closed at the end rather than
        # returned to the pool: whatever happens, the server releases the lock with the session.
        with engine.connect() as connection:
            key = lock_key(region, year)
            where = f"verrou consultatif {key} de la base du catalogue"
            try:
                _acquire(lambda: _try_advisory(connection, key), engine, region, year, where, timeout, on_wait)
                with _holding(engine, region, year):
                    yield
            finally:
                connection.invalidate()
        return
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / ".lock")
    where = str(folder / ".lock")
    _acquire(lambda: _try_file(lock), engine, region, year, where, timeout, on_wait)
    try:
        with _holding(engine, region, year):
            yield
    finally:
        lock.release()


def _try_advisory(connection: Connection, key: int) -> bool:
    taken = bool(connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
    connection.commit()  # a session-level lock outlives the transaction; keep none open while waiting
    return taken


def _try_file(lock: FileLock) -> bool:
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    return True


def _acquire(
    take: Callable[[], bool],
    engine: Engine,
    region: str,
    year: int,
    where: str,
    timeout: float,
    on_wait: Callable[[str, Holder | None], None] | None,
) -> None:
    started = time.monotonic()
    if take():
        return
    if on_wait is not None:
        on_wait(where, holder(engine, region, year))
    while time.monotonic() - started < timeout:
        time.sleep(min(POLL_S, max(0.0, timeout - (time.monotonic() - started))))
        if take():
            return
    raise LockTimeout(where, holder(engine, region, year), time.monotonic() - started)


@contextmanager
def _holding(engine: Engine, region: str, year: int) -> Iterator[None]:
    """Say in the catalogue who holds the lock, for the runs that wait; forget it on release."""
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": dt.datetime.now(dt.UTC).isoformat()}
    where = (edition_locks.c.region == region) & (edition_locks.c.year == year)
    with engine.begin() as connection:
        connection.execute(sa.delete(edition_locks).where(where))
        connection.execute(sa.insert(edition_locks).values(region=region, year=year, **me))
    try:
        yield
    finally:
        mine = where & (edition_locks.c.pid == me["pid"]) & (edition_locks.c.host == me["host"])
        try:
            with engine.begin() as connection:
                connection.execute(sa.delete(edition_locks).where(mine))
        except sa.exc.SQLAlchemyError:
            pass  # a stale row misleads nobody: the next holder replaces it, and the lock itself is released
