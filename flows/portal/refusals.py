"""Anonymous refusals — a /staff page or file asked without a session, a form without its token, a refused
login — counted per hour, address, action and target instead of one audit line each: a robot hammering the
portal adds one to a counter, not a row to the append-only audit log (flows/notices/audit.py).

Bounded: at most HOUR_ROWS rows per hour (further addresses and targets of that hour are counted together in
one row « autres »), and rows older than KEEP_DAYS are deleted. Refusals of a logged-in account stay full
audit lines: they name someone accountable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flows.portal.tables import refusal_counts

HOUR_ROWS = 200
KEEP_DAYS = 90
OTHERS = "autres"


@dataclass(frozen=True)
class Count:
    hour: str  # 2026-12-06T21 (UTC)
    address: str
    action: str
    target: str
    count: int
    first_at: str
    last_at: str
    detail: str


def _hour(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H")


def count(engine: Engine, address: str, action: str, target: str, detail: str, now: dt.datetime | None = None) -> None:
    """Add one refusal to its hour's counter (a new counter if the hour still has room, else « autres »)."""
    now = now or dt.datetime.now(dt.UTC)
    hour, at = _hour(now), now.astimezone(dt.UTC).isoformat(timespec="seconds")
    key = {"hour": hour, "address": address[:64], "action": action, "target": target[:200]}
    for _ in range(3):  # another request may insert the same counter meanwhile: then add to it
        try:
            with engine.begin() as conn:
                if _add(conn, key, at, detail):
                    return
                if (conn.scalar(sa.select(sa.func.count()).where(refusal_counts.c.hour == hour)) or 0) >= HOUR_ROWS:
                    key = {**key, "address": OTHERS, "target": OTHERS}
                    if _add(conn, key, at, detail):
                        return
                else:
                    cutoff = _hour(now - dt.timedelta(days=KEEP_DAYS))
                    conn.execute(sa.delete(refusal_counts).where(refusal_counts.c.hour < cutoff))
                conn.execute(sa.insert(refusal_counts).values(**key, count=1, first_at=at, last_at=at, detail=detail))
                return
        except sa.exc.IntegrityError:
            continue


def _add(conn: sa.Connection, key: dict[str, str], at: str, detail: str) -> bool:
    where = sa.and_(*(refusal_counts.c[column] == value for column, value in key.items()))
    done = conn.execute(
        sa.update(refusal_counts).where(where).values(count=refusal_counts.c.count + 1, last_at=at, detail=detail)
    )
    return bool(done.rowcount)


def latest(engine: Engine, limit: int = 200) -> list[Count]:
    """The counters, the latest hour first and, within an hour, the most frequent first: a robot's flood of
    one-off addresses never hides the address that tried forty times."""
    order = (refusal_counts.c.hour.desc(), refusal_counts.c["count"].desc(), refusal_counts.c.last_at.desc())
    query = sa.select(refusal_counts).order_by(*order).limit(limit)
    with engine.connect() as conn:
        return [
            Count(r.hour, r.address, r.action, r.target, r._mapping["count"], r.first_at, r.last_at, r.detail)
            for r in conn.execute(query)
        ]
