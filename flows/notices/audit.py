"""The audit log: who did what, when, from where — logins (succeeded or refused), builds launched,
approvals, rejections, draft views and downloads and account changes, from the portal and the command line
alike. Anonymous refusals are counted per hour instead (flows/portal/refusals.py): anonymous traffic cannot
make this log grow without bound.

Append-only: this module only inserts, and the database refuses any update or deletion (triggers of
migration 0003). Passwords and session secrets never reach it; a refused login records the name typed.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flows.edition.french import format_time
from flows.notices import people
from flows.notices.tables import audit_log

CONFIRM = "confirm"  # texts and figures carried over from the earlier edition, re-read (flows/carryover.py)
SETTING = "setting"  # an administrators' setting changed (flows/edition/publish/settings.py)
INTEGRITY = "integrity"  # a published file found damaged by the service, no longer served (portal/integrity.py)
DRAFT_VIEW = "draft-view"
# An edition's inputs changed from the portal (flows/portal/editions.py and its neighbours): each a new input
# version, or refused with nothing changed.
EDITION_NEW, INPUT_SAVE, INPUT_UPLOAD, INPUT_RESTORE = (
    "edition-new",
    "input-save",
    "input-upload",
    "input-restore",
)  # a draft's page (its page images are covered by that line: flows/portal/staff.py)
LOGIN, LOGOUT, BUILD, APPROVE, REJECT, DRAFT_DOWNLOAD, ACCOUNT, ACCESS = (
    "login",
    "logout",
    "build",
    "approve",
    "reject",
    "draft-download",
    "account",
    "access",
)
OK, REFUSED, FAILED = "ok", "refused", "failed"
ACTION_NAMES = {
    LOGIN: "connexion",
    LOGOUT: "déconnexion",
    BUILD: "construction lancée",
    APPROVE: "approbation",
    REJECT: "rejet",
    DRAFT_VIEW: "consultation d'un projet",
    DRAFT_DOWNLOAD: "téléchargement d'un projet",
    ACCOUNT: "compte",
    ACCESS: "accès refusé",
    CONFIRM: "confirmation d'éléments repris",
    SETTING: "réglage",
    INTEGRITY: "fichier publié altéré",
    EDITION_NEW: "édition préparée",
    INPUT_SAVE: "texte enregistré",
    INPUT_UPLOAD: "fichier importé",
    INPUT_RESTORE: "version rétablie",
}
OUTCOME_NAMES = {OK: "fait", REFUSED: "refusé", FAILED: "échoué"}
COLUMNS = ("at", "actor", "address", "action", "target", "outcome", "detail")


@dataclass(frozen=True)
class Entry:
    at: str
    actor: str
    address: str
    action: str
    target: str
    outcome: str
    detail: str


def system_user() -> str:
    """Who runs a command: the system user (LOGNAME, USER… as `getpass` reads them)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "inconnu"


def command_line_address() -> str:
    """Where a command-line action comes from: this machine."""
    return f"{people.COMMAND_LINE} ({socket.gethostname()})"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def record(
    engine: Engine | Connection,
    actor: str,
    address: str,
    action: str,
    target: str,
    outcome: str = OK,
    detail: str = "",
) -> None:
    """Append one line: in the caller's transaction when given its connection (a decision and its line
    commit together, or neither), else in its own (a refused request is recorded though nothing else is)."""
    line = sa.insert(audit_log).values(
        at=now(),
        actor=actor[:200],
        address=address[:64],
        action=action,
        target=target[:200],
        outcome=outcome,
        detail=detail,
    )
    if isinstance(engine, Connection):
        engine.execute(line)
        return
    with engine.begin() as conn:
        conn.execute(line)


@dataclass(frozen=True)
class Line:
    """An audit line that another module writes in its own transaction, with what only that transaction
    knows: the moment and the detail (an administrators' setting changed: flows/edition/publish/settings.py)."""

    actor: str
    address: str
    action: str
    target: str

    def __call__(self, conn: Connection, at: str, detail: str) -> None:
        values = {"actor": self.actor[:200], "address": self.address[:64], "target": self.target[:200]}
        conn.execute(sa.insert(audit_log).values(at=at, action=self.action, outcome=OK, detail=detail, **values))


def entries(engine: Engine, limit: int | None = None, action: str | None = None) -> list[Entry]:
    """The log, latest first."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc())
    if action:
        query = query.where(audit_log.c.action == action)
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [_entry(row) for row in conn.execute(query)]


def seen_since(engine: Engine, actor: str, action: str, target: str, since: dt.datetime) -> bool:
    """Whether `actor` has a line of `action` on `target` since `since` (a draft viewed in this session)."""
    after = since.astimezone(dt.UTC).isoformat(timespec="seconds")
    query = (
        sa.select(audit_log.c.id)
        .where(audit_log.c.action == action, audit_log.c.at >= after)
        .where(audit_log.c.actor == actor, audit_log.c.target == target)
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.scalar(query) is not None


_METHODS = {"GET": "page", "HEAD": "page", "POST": "envoi de formulaire"}


def target_in_log(target: str) -> str:
    """What an entry is about, in words: a refused request's `POST /staff/builds` is said `envoi de
    formulaire /staff/builds` (another method is kept as recorded)."""
    method, _, path = target.partition(" ")
    if path.startswith("/") and method in _METHODS:
        return f"{_METHODS[method]} {path}"
    return target


# A cell a spreadsheet would read as a formula (« =HYPERLINK(…) » typed as a login name): written as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: str) -> str:
    """`value` as a spreadsheet shows it without running it: a leading apostrophe before a formula's first
    sign (what Excel and LibreOffice read as « text »)."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


HEADER = ["date (heure de Paris)", "qui", "depuis", "action", "objet", "résultat", "détail"]
_BATCH = 1000


def _row(e: Entry, known: people.Known) -> list[str]:
    cells = [
        format_time(e.at, seconds=True),
        people.person_in_log(e.actor, e.address, known),
        e.address,
        ACTION_NAMES.get(e.action, e.action),
        target_in_log(e.target),
        OUTCOME_NAMES.get(e.outcome, e.outcome),
        e.detail,
    ]
    return [inert_cell(cell) for cell in cells]


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerow(cells)
    return out.getvalue()


def as_csv(found: list[Entry], known: people.Known) -> str:
    """The log as a CSV file for a spreadsheet (UTF-8, `;`, one header line), times and people as the
    page shows them; no cell can run as a formula (names, targets and details are typed by anyone)."""
    return "".join([_csv_line(HEADER), *(_csv_line(_row(e, known)) for e in found)])


def export_lines(
    engine: Engine,
    start: dt.datetime | None,
    end: dt.datetime | None,
    action: str | None,
    limit: int,
    known: people.Known,
) -> Iterator[str]:
    """The CSV lines (as `as_csv` writes them) of the lines from `start` (included) to `end` (excluded; None:
    no bound), latest first, at most `limit`: read a thousand at a time, each batch on its own connection, so an export
    holds neither the whole log in memory nor a connection while the client reads. When the period holds
    more, a last line says so and what to do."""
    period = []
    if start is not None:
        period.append(audit_log.c.at >= start.astimezone(dt.UTC).isoformat(timespec="seconds"))
    if end is not None:
        period.append(audit_log.c.at < end.astimezone(dt.UTC).isoformat(timespec="seconds"))
    if action:
        period.append(audit_log.c.action == action)
    yield _csv_line(HEADER)
    written, below = 0, None
    while written < limit:
        query = sa.select(audit_log).where(*period)
        if below is not None:
            query = query.where(audit_log.c.id < below)
        query = query.order_by(audit_log.c.id.desc()).limit(min(_BATCH, limit - written))
        with engine.connect() as conn:
            rows = list(conn.execute(query))
        if not rows:
            return
        for row in rows:
            yield _csv_line(_row(_entry(row), known))
        written, below = written + len(rows), rows[-1].id
    with engine.connect() as conn:
        more = conn.scalar(sa.select(audit_log.c.id).where(*period, audit_log.c.id < below).limit(1)) is not None
    if more:
        shown = f"{limit:_}".replace("_", "\u202f")
        yield _csv_line([f"export limité à {shown} lignes : choisissez une période plus courte pour la suite"])


def _entry(row: sa.Row[Any]) -> Entry:
    return Entry(row.at, row.actor, row.address, row.action, row.target, row.outcome, row.detail)
