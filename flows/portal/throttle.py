"""Login throttling that an attacker cannot turn into a lock-out of someone else.

Wrong passwords are counted per (name typed, address): after FREE of them, that name is refused from that
address, without checking the password, for a delay that doubles at each further failure (2 s, 4 s, 8 s…,
at most 15 minutes). The same name from another address — its owner at their desk — is not slowed. One
address is also capped across names (ADDRESS_LIMIT wrong passwords within ADDRESS_WINDOW: a password spray),
which again slows that address only. A successful login forgets its (name, address) row; rows are forgotten a
day after their last failure; an administrator can unlock a name or an address (flows/portal/admin.py).
Addresses are the client's as flows/portal/proxies.py allows: a forged X-Forwarded-For counts for nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flows.edition.french import format_time
from flows.portal.tables import login_throttle

FREE = 5  # wrong passwords for a name from an address before the first delay
FIRST_DELAY_S = 2
MAX_DELAY_S = 15 * 60
ADDRESS_LIMIT = 50  # wrong passwords from one address, all names together, within ADDRESS_WINDOW
ADDRESS_WINDOW = dt.timedelta(hours=1)
FORGET_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class Slowed:
    """A (name, address) pair with wrong passwords: how many, the last one, and when the next try is checked."""

    name: str
    address: str
    failures: int
    last_at: str
    until: str


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def delay(failures: int) -> dt.timedelta:
    """How long a name waits at this address after its `failures`-th wrong password."""
    if failures < FREE:
        return dt.timedelta(0)
    return dt.timedelta(seconds=min(FIRST_DELAY_S * 2 ** (failures - FREE), MAX_DELAY_S))


def refusal(engine: Engine, name: str, address: str, now: dt.datetime | None = None) -> str | None:
    """Why this attempt is refused without checking its password (for the count of refusals), or None."""
    now = now or dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(login_throttle).where(login_throttle.c.name == name, login_throttle.c.address == address)
        ).first()
        from_address = conn.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(login_throttle.c.failures), 0)).where(
                login_throttle.c.address == address, login_throttle.c.last_at >= _stamp(now - ADDRESS_WINDOW)
            )
        )
    if row is not None and row.until > _stamp(now):
        after = format_time(row.until, seconds=True)
        return (
            f"trop d'essais pour ce nom depuis cette adresse ({row.failures} ; prochain essai vérifié après le {after})"
        )
    if int(from_address or 0) >= ADDRESS_LIMIT:
        return f"trop d'essais depuis cette adresse ({from_address} mots de passe faux en une heure, tous noms)"
    return None


def failed(engine: Engine, name: str, address: str, now: dt.datetime | None = None) -> None:
    """Count a wrong password for `name` from `address` (and forget rows a day old)."""
    now = now or dt.datetime.now(dt.UTC)
    for attempt in range(3):  # two wrong passwords at once for a new pair: the second adds to the first's row
        try:
            with engine.begin() as conn:
                conn.execute(sa.delete(login_throttle).where(login_throttle.c.last_at < _stamp(now - FORGET_AFTER)))
                where = (login_throttle.c.name == name) & (login_throttle.c.address == address)
                failures = 1 + int(conn.scalar(sa.select(login_throttle.c.failures).where(where)) or 0)
                values = {"failures": failures, "last_at": _stamp(now), "until": _stamp(now + delay(failures))}
                _upsert(conn, name, address, values)
            return
        except sa.exc.IntegrityError:
            if attempt == 2:
                raise


def _upsert(conn: Connection, name: str, address: str, values: dict[str, object]) -> None:
    where = (login_throttle.c.name == name) & (login_throttle.c.address == address)
    if conn.execute(sa.update(login_throttle).where(where).values(**values)).rowcount == 0:
        conn.execute(sa.insert(login_throttle).values(name=name, address=address, **values))


def succeeded(engine: Engine, name: str, address: str) -> None:
    """The right password: this name starts afresh at this address."""
    with engine.begin() as conn:
        conn.execute(
            sa.delete(login_throttle).where(login_throttle.c.name == name, login_throttle.c.address == address)
        )


def unlock(engine: Engine, name: str = "", address: str = "") -> int:
    """Forget the wrong passwords of `name` (from every address), of `address` (every name), or of the pair;
    how many rows were forgotten."""
    if not name and not address:
        return 0
    query = sa.delete(login_throttle)
    if name:
        query = query.where(login_throttle.c.name == name)
    if address:
        query = query.where(login_throttle.c.address == address)
    with engine.begin() as conn:
        return int(conn.execute(query).rowcount or 0)


def slowed(engine: Engine, now: dt.datetime | None = None) -> list[Slowed]:
    """The pairs an administrator may want to unlock: those past their free attempts, latest first."""
    now = now or dt.datetime.now(dt.UTC)
    query = (
        sa.select(login_throttle)
        .where(login_throttle.c.failures >= FREE, login_throttle.c.last_at >= _stamp(now - FORGET_AFTER))
        .order_by(login_throttle.c.last_at.desc())
        .limit(200)
    )
    with engine.connect() as conn:
        return [Slowed(r.name, r.address, r.failures, r.last_at, r.until) for r in conn.execute(query)]
