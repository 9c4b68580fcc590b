"""Who did something, said the way the staff know them: an account by its display name, a command typed
on the server by the system user it ran as, and the words recorded for the scheduler or a visitor as
they are.

The catalogue and the audit log record names (an account's login, or the system user of a command line):
they stay as recorded, and are only said differently. A system user whose name is also an account's login
is taken as that person.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from sqlalchemy.engine import Connection, Engine

from flows.notices import accounts
from flows.notices.accounts import Account

ANONYMOUS = "anonyme"  # a visitor not logged in (flows/portal/access.py records it)
UNKNOWN = "inconnu"  # a system user without a name (audit.system_user)
COMMAND_LINE = "ligne de commande"  # how audit.command_line_address begins

Known = Mapping[str, Account]


@functools.cache
def _words() -> frozenset[str]:
    """What is recorded instead of a person (imported late: revisions brings Polars, which the audit log
    of `fir user` does not need)."""
    from flows.edition.publish.revisions import SCHEDULER

    return frozenset({SCHEDULER, ANONYMOUS, UNKNOWN})


def known(engine: Engine | Connection) -> dict[str, Account]:
    """Every account by login, disabled ones too: what they did stays theirs."""
    return {account.name: account for account in accounts.listing(engine)}


def person(name: str | None, found: Known) -> str:
    """`Marie Dupont`; `ligne de commande (utilisateur système root)`; `planification annuelle`; `—` for none."""
    if not name:
        return "—"
    account = found.get(name)
    if account is not None:
        return account.display_name or account.name
    if name in _words():
        return name
    return f"ligne de commande (utilisateur système {name})"


def person_in_log(name: str, address: str, found: Known) -> str:
    """The audit log's « who », losing nothing: `Marie Dupont (m.dupont)`; `utilisateur système root` for
    a command line; a name typed on the login form that is no account, as typed."""
    account = found.get(name)
    if account is not None:
        shown = account.display_name or account.name
        return shown if shown == account.name else f"{shown} ({account.name})"
    if name in _words() or not address.startswith(COMMAND_LINE):
        return name
    return f"utilisateur système {name}"


def display_name(engine: Engine, name: str) -> str:
    """The person as staff know them, said as everywhere else: an account's display name, else the system
    user of a command line said as such (who confirmed a carried-over item: flows/carryover.py, the draft page)."""
    account = accounts.get(engine, name)
    return person(name, {name: account} if account else {})
