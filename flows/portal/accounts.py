"""Staff accounts, kept in the catalogue: who may launch builds (editor), sign drafts off (approver) or
manage accounts (admin). The public — readers — need no account. Created and changed here (the portal's
pages, `fir user`); read through flows/notices/accounts.py, whose names this module offers too.

Passwords are stored as Argon2id hashes (argon2-cffi's defaults: RFC 9106 low-memory profile), never
in clear and never logged. Changing a password or disabling an account raises the account's session
version and deletes its sessions' rows (flows/portal/sessions.py), so every session opened before is refused.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from flows import policy
from flows.notices.accounts import ROLE_NAMES, ROLES, Account, account, get, listing, recipients
from flows.notices.tables import users
from flows.portal.tables import staff_sessions

__all__ = [
    "ROLES",
    "ROLE_NAMES",
    "Account",
    "AccountError",
    "add",
    "authenticate",
    "disable",
    "get",
    "listing",
    "recipients",
    "set_email",
    "set_password",
]
# What each role may do is flows/policy.py's; these names stay for the routes that declare what they need.
VIEW_DRAFTS, LAUNCH, APPROVE, MANAGE = policy.VIEW_DRAFTS, policy.LAUNCH, policy.APPROVE, policy.MANAGE_ACCOUNTS
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD = 12
_hasher = PasswordHasher()


class AccountError(Exception):
    """A refused account operation, said in French (an unknown name, a weak password, a duplicate)."""


def check_password(password: str, name: str) -> None:
    """Refuse a password a colleague could guess: too short, or the login itself."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"mot de passe trop court : au moins {MIN_PASSWORD} caractères")
    if name.lower() in password.lower():
        raise AccountError("le mot de passe ne doit pas contenir l'identifiant")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def add(
    engine: Engine, name: str, role: str, password: str, display_name: str | None = None, email: str | None = None
) -> Account:
    """Create an account; AccountError for a bad or taken name, an unknown role, a weak password."""
    if not NAME.match(name):
        raise AccountError(
            f"identifiant « {name} » invalide : 2 à 80 caractères parmi a-z, 0-9, « . », « _ », « - », en minuscules"
        )
    if role not in ROLES:
        raise AccountError(f"rôle « {role} » inconnu : {', '.join(ROLE_NAMES.values())}")
    check_password(password, name)
    if email and not EMAIL.match(email):
        raise AccountError(f"adresse électronique « {email} » invalide")
    now = _now()
    values = {
        "email": email or None,
        "name": name,
        "display_name": (display_name or name).strip(),
        "role": role,
        "password_hash": _hasher.hash(password),
        "disabled": False,
        "session_version": 1,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(users).values(**values))
    except sa.exc.IntegrityError:
        raise AccountError(f"l'identifiant « {name} » existe déjà") from None
    found = get(engine, name)
    assert found is not None
    return found


def set_email(engine: Engine, name: str, email: str | None) -> Account:
    if email and not EMAIL.match(email):
        raise AccountError(f"adresse électronique « {email} » invalide")
    return _update(engine, name, email=email or None)


def set_password(engine: Engine, name: str, password: str) -> Account:
    """Replace the password; every session of the account is signed off."""
    check_password(password, name)
    return _update(engine, name, password_hash=_hasher.hash(password))


def disable(engine: Engine, name: str) -> Account:
    """Refuse every login and session of the account from now on (it stays, for the audit log)."""
    return _update(engine, name, disabled=True)


def _update(engine: Engine, name: str, **values: object) -> Account:
    with engine.begin() as connection:
        done = connection.execute(
            sa.update(users)
            .where(users.c.name == name)
            .values(**values, session_version=users.c.session_version + 1, updated_at=_now())
        )
        connection.execute(sa.delete(staff_sessions).where(staff_sessions.c.account == name))
    if done.rowcount != 1:
        raise AccountError(f"aucun compte « {name} »")
    found = get(engine, name)
    assert found is not None
    return found


def authenticate(engine: Engine, name: str, password: str) -> Account | None:
    """The account when `password` is its own and it is enabled; None otherwise, whatever the reason, so
    that a caller cannot tell an unknown name from a wrong password."""
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None:
        _hasher.hash(password)  # spend the same time as a real check: no timing difference either
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if row.disabled:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as connection:
            connection.execute(
                sa.update(users).where(users.c.id == row.id).values(password_hash=_hasher.hash(password))
            )
    return account(row)
