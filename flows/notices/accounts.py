"""Staff accounts as the notices read them: who someone is (display name, role), whether the account is
enabled, and where notifications go. Accounts are created and changed by flows/portal/accounts.py (the
portal's pages and `fir user`); the rows are the catalogue's `users` table (tables.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flows import policy
from flows.notices.tables import users

ROLES = ("editor", "approver", "admin")
ROLE_NAMES = policy.ROLE_NAMES


@dataclass(frozen=True)
class Account:
    name: str
    display_name: str
    role: str
    disabled: bool
    session_version: int
    created_at: str
    updated_at: str
    email: str | None = None  # where notifications go

    def may(self, action: str) -> bool:
        """Whether the account may do `action` whatever it acts on (flows/policy.py)."""
        return policy.allowed(policy.person(self), action).allowed


def account(row: sa.Row[Any]) -> Account:
    """The account a row of `users` describes."""
    return Account(
        row.name,
        row.display_name,
        row.role,
        bool(row.disabled),
        row.session_version,
        row.created_at,
        row.updated_at,
        row.email,
    )


def get(engine: Engine, name: str) -> Account | None:
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.name == name)).first()
    return account(row) if row else None


def listing(engine: Engine | Connection) -> list[Account]:
    """Every account; through the caller's connection when given one (a transaction writing what it reads
    for: under SQLite a second connection would wait for that very transaction)."""
    if isinstance(engine, Connection):
        return [account(r) for r in engine.execute(sa.select(users).order_by(users.c.name))]
    with engine.connect() as connection:
        return [account(r) for r in connection.execute(sa.select(users).order_by(users.c.name))]


def recipients(engine: Engine | Connection, role: str) -> list[Account]:
    """The enabled accounts of `role` that gave an e-mail address (admins receive what approvers do)."""
    roles = {role, "admin"} if role == "approver" else {role}
    return [a for a in listing(engine) if a.role in roles and not a.disabled and a.email]
