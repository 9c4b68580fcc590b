"""The administrators' settings, kept in the catalogue: for each region, whether the person who launched a
draft may approve it (the exception to the four-eyes rule, for a one-person team; flows/policy.py).

The setting belongs to the agency, not to the data under review: a draft's edition.toml cannot switch
the rule off. It is changed by an administrator on the portal's « Réglages » page or by `fir reglages`
on the service's machine, each change with its audit line (who, when, the old and the new value),
committed together: the caller hands the line (flows/notices/audit.py Line), this module writes it in the
setting's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flows.edition.publish.store import REGION
from flows.edition.publish.tables import approval_settings

NAME = "approbation par l'auteur du projet"  # how the audit line and the pages name the setting
WORDS = {True: "autorisée", False: "interdite (règle des quatre yeux)"}


class SettingError(Exception):
    """A setting that cannot be changed as asked, said in French."""


class AuditLine(Protocol):
    """A change's audit line, written in the change's own transaction `conn` with its moment and detail."""

    @property
    def actor(self) -> str: ...

    def __call__(self, conn: Connection, at: str, detail: str) -> None: ...


@dataclass(frozen=True)
class Setting:
    region: str
    self_approval: bool
    changed_by: str = ""  # "" for a region never set (the default: four-eyes)
    changed_at: str = ""


def self_approval(engine: Engine, region: str) -> bool:
    """Whether the launcher of a draft of `region` may approve it (default: no)."""
    with engine.connect() as conn:
        found = conn.scalar(sa.select(approval_settings.c.self_approval).where(approval_settings.c.region == region))
    return bool(found)


def listing(engine: Engine, regions: list[str] | tuple[str, ...] = ()) -> list[Setting]:
    """Every region's setting: those recorded, and `regions` at their default, by region."""
    with engine.connect() as conn:
        rows = {
            r.region: Setting(r.region, bool(r.self_approval), r.changed_by, r.changed_at)
            for r in conn.execute(sa.select(approval_settings))
        }
    for region in regions:
        rows.setdefault(region, Setting(region, False))
    return [rows[region] for region in sorted(rows)]


def set_self_approval(engine: Engine, region: str, value: bool, line: AuditLine) -> tuple[bool, bool]:
    """Record the region's setting, by `line.actor`, and its audit `line` in the same transaction (a change is
    never without its line); (old, new). The caller asked the policy (flows/policy.py)."""
    if not REGION.match(region):
        raise SettingError(f"région « {region[:80]} » invalide : le nom d'un dossier de région, ex. hauts-de-france")
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with engine.begin() as conn:
        old = conn.scalar(sa.select(approval_settings.c.self_approval).where(approval_settings.c.region == region))
        values = {"self_approval": value, "changed_by": line.actor[:200], "changed_at": at}
        if old is None:
            conn.execute(sa.insert(approval_settings).values(region=region, **values))
        else:
            conn.execute(sa.update(approval_settings).where(approval_settings.c.region == region).values(**values))
        line(conn, at, change_detail(bool(old), value))
    return bool(old), value


def change_detail(old: bool, new: bool) -> str:
    """The audit line's detail: `approbation par l'auteur du projet : interdite (…) → autorisée`."""
    return f"{NAME} : {WORDS[old]} → {WORDS[new]}"
