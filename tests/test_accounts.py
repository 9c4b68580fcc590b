"""Staff accounts in the catalogue (SQLite and PostgreSQL): Argon2id hashes, roles, passwords changed
and accounts disabled closing sessions, the same answer for an unknown name and a wrong password, and
`fir user` as an administrator types it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.edition.publish import store
from flows.notices.tables import users
from flows.portal import accounts
from tests.helpers import fir

PASSWORD = "correct horse battery staple"


@pytest.fixture
def engine(catalogue_backend: str, tmp_path: Path) -> sa.Engine:
    return store.open_catalogue(tmp_path / "outputs").engine


def test_an_account_keeps_an_argon2id_hash_never_the_password(engine: sa.Engine):
    account = accounts.add(engine, "m.dupont", "approver", PASSWORD, "Marie Dupont")
    assert (account.name, account.display_name, account.role, account.disabled) == (
        "m.dupont",
        "Marie Dupont",
        "approver",
        False,
    )
    with engine.connect() as connection:
        stored = connection.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate(engine, "m.dupont", PASSWORD) == account


def test_an_unknown_name_and_a_wrong_password_get_the_same_answer(engine: sa.Engine):
    accounts.add(engine, "m.dupont", "editor", PASSWORD)
    assert accounts.authenticate(engine, "m.dupont", "wrong password, long enough") is None
    assert accounts.authenticate(engine, "nobody", PASSWORD) is None


def test_a_new_password_or_a_disabling_closes_the_sessions(engine: sa.Engine):
    first = accounts.add(engine, "m.dupont", "editor", PASSWORD)
    changed = accounts.set_password(engine, "m.dupont", "another long passphrase")
    assert changed.session_version == first.session_version + 1
    assert accounts.authenticate(engine, "m.dupont", PASSWORD) is None
    assert accounts.authenticate(engine, "m.dupont", "another long passphrase") is not None
    disabled = accounts.disable(engine, "m.dupont")
    assert disabled.disabled and disabled.session_version == changed.session_version + 1
    assert accounts.authenticate(engine, "m.dupont", "another long passphrase") is None


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("M.Dupont", "editor", PASSWORD, "identifiant « M.Dupont » invalide"),
        ("m.dupont", "reader", PASSWORD, "rôle « reader » inconnu"),
        ("m.dupont", "editor", "short", "mot de passe trop court"),
        ("m.dupont", "editor", "m.dupont-2026-password", "ne doit pas contenir l'identifiant"),
    ],
)
def test_bad_accounts_are_refused(engine: sa.Engine, name: str, role: str, password: str, message: str):
    with pytest.raises(accounts.AccountError, match=re.escape(message)):
        accounts.add(engine, name, role, password)
    assert accounts.listing(engine) == []


def test_a_taken_name_and_an_unknown_account_are_refused(engine: sa.Engine):
    accounts.add(engine, "m.dupont", "editor", PASSWORD)
    with pytest.raises(accounts.AccountError, match="existe déjà"):
        accounts.add(engine, "m.dupont", "admin", PASSWORD)
    with pytest.raises(accounts.AccountError, match=re.escape("aucun compte « x.y »")):
        accounts.disable(engine, "x.y")


def _user(outputs: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flows.cli", "user", *args, "--outputs", str(outputs)]
    if password is not None:
        command.append("--password-stdin")
    return subprocess.run(command, input=f"{password}\n" if password else "", capture_output=True, text=True)


def test_fir_user_adds_lists_changes_and_disables_accounts(tmp_path: Path):
    outputs = tmp_path / "outputs"
    empty = fir("user", "list", "--outputs", outputs)
    assert empty.returncode == 0 and "user add prenom.nom --role administrateur" in empty.stdout
    added = _user(outputs, "add", "m.dupont", "--role", "approver", "--display-name", "Marie Dupont", password=PASSWORD)
    assert added.returncode == 0, added.stderr
    assert "Compte « m.dupont » créé (approbateur)." in added.stdout
    assert PASSWORD not in added.stdout + added.stderr
    listed = fir("user", "list", "--outputs", outputs)
    assert "m.dupont\tMarie Dupont\tapprobateur\tactif" in listed.stdout
    weak = _user(outputs, "passwd", "m.dupont", password="short")
    assert weak.returncode == 2 and "Refusé : mot de passe trop court" in weak.stderr and "Traceback" not in weak.stderr
    changed = _user(outputs, "passwd", "m.dupont", password="another long passphrase")
    assert changed.returncode == 0 and "ses sessions sont fermées" in changed.stdout
    disabled = fir("user", "disable", "m.dupont", "--outputs", outputs)
    assert disabled.returncode == 0
    assert "m.dupont\tMarie Dupont\tapprobateur\tdésactivé" in fir("user", "list", "--outputs", outputs).stdout
    engine = store.open_catalogue(outputs).engine
    assert accounts.authenticate(engine, "m.dupont", "another long passphrase") is None
    duplicate = _user(outputs, "add", "m.dupont", "--role", "editor", password=PASSWORD)
    assert duplicate.returncode == 2 and "existe déjà" in duplicate.stderr
