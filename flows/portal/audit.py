"""The audit log: who did what, when, from where — logins (succeeded or refused), builds launched,
approvals, rejections, draft downloads and account changes, from the portal and the command line alike.

Append-only: this module only inserts, and the database refuses any update or deletion (triggers of
migration 0003). Passwords and session secrets never reach it; a refused login records the name typed.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import socket
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flows.edition.french import format_time
from flows.edition.publish.tables import audit_log
from flows.portal import people

CONFIRM = "confirm"  # texts and figures carried over from the earlier edition, re-read (flows/carryover.py)
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
    DRAFT_DOWNLOAD: "téléchargement d'un projet",
    ACCOUNT: "compte",
    ACCESS: "accès refusé",
    CONFIRM: "confirmation d'éléments repris",
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


def entries(engine: Engine, limit: int | None = None, action: str | None = None) -> list[Entry]:
    """The log, latest first."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc())
    if action:
        query = query.where(audit_log.c.action == action)
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [_entry(row) for row in conn.execute(query)]


def failed_logins(engine: Engine, name: str, address: str, since: dt.datetime) -> tuple[int, int]:
    """Refused logins since `since`: for this name (from anywhere) and from this address (any name)."""
    after = since.astimezone(dt.UTC).isoformat(timespec="seconds")
    base = sa.select(sa.func.count()).where(
        audit_log.c.action == LOGIN, audit_log.c.outcome == REFUSED, audit_log.c.at >= after
    )
    with engine.connect() as conn:
        by_name = conn.scalar(base.where(audit_log.c.target == name)) or 0
        by_address = conn.scalar(base.where(audit_log.c.address == address)) or 0
    return int(by_name), int(by_address)


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


def as_csv(found: list[Entry], known: people.Known) -> str:
    """The log as a CSV file for a spreadsheet (UTF-8, `;`, one header line), times and people as the
    page shows them; no cell can run as a formula (names, targets and details are typed by anyone)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["date (heure de Paris)", "qui", "depuis", "action", "objet", "résultat", "détail"])
    for e in found:
        cells = [
            format_time(e.at, seconds=True),
            people.person_in_log(e.actor, e.address, known),
            e.address,
            ACTION_NAMES.get(e.action, e.action),
            target_in_log(e.target),
            OUTCOME_NAMES.get(e.outcome, e.outcome),
            e.detail,
        ]
        writer.writerow([inert_cell(cell) for cell in cells])
    return out.getvalue()


def _entry(row: sa.Row[Any]) -> Entry:
    return Entry(row.at, row.actor, row.address, row.action, row.target, row.outcome, row.detail)
