"""What the staff read is French: every `fir` command's help and usage mistakes (argparse's own words
included), the to-do list of an edition being filled in, refusals in the audit log; every moment in Paris
time in one format (portal, audit log and its CSV, command line); people by their display name; a first
publication never said as « 0 chiffre modifié »."""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import gc
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from flows import cli, paths
from flows.edition.french import format_time
from flows.edition.publish import store
from flows.notices import audit
from flows.notices.tables import audit_log
from flows.portal import accounts
from flows.portal.web import create_app
from tests.helpers import REGION
from tests.portal_helpers import PASSWORD, log_in
from tests.store_child import record

# argparse's English, and the contract's or the code's names where a person reads, never types, them.
ARGPARSE_ENGLISH = (
    "usage:",
    "show this help message",
    "positional arguments",
    "the following arguments are required",
    "invalid choice",
    "expected one argument",
    "invalid int value",
    "unrecognized arguments",
    "error:",
    "choose from",
)
ENGLISH_PLACEHOLDERS = re.compile(r"\b(REGION|YEAR|INPUTS|OUTPUTS|REASON|COMMENT|DISPLAY_NAME|EMAIL|TIMINGS)\b")
ENGLISH_ROLES = re.compile(r"\b(editor|approver|admin)\b")
PARIS_TIME = r"\d\d/\d\d/\d{4} à \d\d:\d\d"


def _fir(*args: object, stdin: str | None = None) -> tuple[int, str, str]:
    """A `fir` command in this process: exit code, stdout, stderr (argparse's exits included)."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    try:
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main([str(a) for a in args])
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        sys.stdin = saved_stdin
        gc.unfreeze()  # the command freezes the collector as it ends; the tests go on
    return code, out.getvalue(), err.getvalue()


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of `fir`, as the words typed before `--help`."""
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


def _assert_french(text: str) -> None:
    for english in ARGPARSE_ENGLISH:
        assert english not in text, (english, text)
    assert not ENGLISH_PLACEHOLDERS.search(text), text
    assert not ENGLISH_ROLES.search(text), text


def test_the_help_of_every_command_is_in_french():
    commands = _commands(cli.make_parser())
    assert ("user", "add") in commands and ("build",) in commands and len(commands) >= 19
    for words in commands:
        code, out, err = _fir(*words, "--help")
        assert code == 0 and err == "", (words, err)
        assert out.startswith(f"utilisation : fir {' '.join(words)}".rstrip()), out
        assert "afficher cette aide et s'arrêter" in out
        _assert_french(out)
    _, top, _ = _fir("--help")
    assert "fir [-h] COMMANDE ..." in top and "    build " in top
    _, user_add, _ = _fir("user", "add", "--help")
    assert "--role RÔLE" in user_add and "rédacteur (lance les constructions), approbateur" in user_add
    _, build, _ = _fir("build", "--help")
    assert "--region RÉGION" in build and "--year ANNÉE" in build and "--inputs DOSSIER" in build
    _, approve, _ = _fir("approve", "--help")
    assert "région année révision" in approve


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ((), "fir : il manque : COMMANDE"),
        (("biuld",), "fir : COMMANDE : commande inconnue « biuld » (au choix : build, drafts,"),
        (("build",), "fir build : il manque : --region, --year"),
        (("build", "--region"), "fir build : --region : une valeur est attendue après l'option"),
        (
            ("build", "--region", REGION, "--year", "deux"),
            "fir build : --year : « deux » : un nombre entier est attendu",
        ),
        (("approve", REGION), "fir approve : il manque : année, révision"),
        (
            ("user", "add", "m.dupont", "--role", "chef"),
            "fir user add : --role : rôle inconnu « chef » (au choix : rédacteur, approbateur, administrateur)",
        ),
    ],
)
def test_a_usage_mistake_is_said_in_french_with_where_the_help_is(words: tuple[str, ...], said: str):
    code, out, err = _fir(*words)
    assert code == 2 and out == ""
    assert err.startswith("utilisation : fir"), err
    assert said in err, err
    help_of = " ".join(w for w in ("fir", *words[:2]) if w in ("fir", "build", "approve", "user", "add"))
    assert f"L'aide : {help_of} --help" in err, err
    _assert_french(err)
    assert "Traceback" not in err


def test_other_parsers_keep_their_own_words():
    """The French words are ours: a library's parser in the same process is left as it was."""
    _fir("--help")
    other = argparse.ArgumentParser(prog="other")
    assert other.format_usage().startswith("usage: other")


def test_roles_in_french_english_names_kept_and_accounts_listed_in_paris_time(tmp_path: Path):
    outputs = tmp_path / "outputs"
    code, out, _ = _fir("user", "list", "--outputs", outputs)
    assert code == 0 and "user add prenom.nom --role administrateur" in out
    for name, role in (("m.dupont", "approbateur"), ("r.durand", "redacteur"), ("a.admin", "admin")):
        code, out, err = _fir(
            "user", "add", name, "--role", role, "--display-name", name.title(), "--password-stdin",
            "--outputs", outputs, stdin=f"{PASSWORD}\n",
        )  # fmt: skip
        assert code == 0, err
    assert "Compte « a.admin » créé (administrateur)." in out
    engine = store.open_catalogue(outputs).engine
    assert {a.name: a.role for a in accounts.listing(engine)} == {
        "m.dupont": "approver",
        "r.durand": "editor",
        "a.admin": "admin",
    }
    code, listed, _ = _fir("user", "list", "--outputs", outputs)
    dupont = accounts.get(engine, "m.dupont")
    assert dupont is not None
    paris = dt.datetime.fromisoformat(dupont.updated_at).astimezone(ZoneInfo("Europe/Paris"))
    assert f"m.dupont\tM.Dupont\tapprobateur\tactif\tmodifié le {paris:%d/%m/%Y à %H:%M}" in listed
    assert "+00:00" not in listed and dupont.updated_at.endswith("+00:00")  # stored in UTC, said in Paris time
    details = [e.detail for e in audit.entries(engine, None, audit.ACCOUNT)]
    assert "compte créé (rédacteur)" in details and not any(ENGLISH_ROLES.search(d) for d in details)


def test_format_time_is_paris_time_in_one_format():
    assert format_time("2026-12-06T17:12:05+00:00") == "06/12/2026 à 18:12"  # winter: UTC+1
    assert format_time("2026-07-14T08:05:00+00:00") == "14/07/2026 à 10:05"  # summer: UTC+2
    assert format_time("2026-12-06T18:12:05+01:00", seconds=True) == "06/12/2026 à 18:12:05"
    assert format_time("2026-12-06T17:12:05") == "06/12/2026 à 18:12"  # no offset: stored in UTC
    assert format_time(dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)) == "29/03/2026 à 03:30"  # the spring jump
    assert format_time(None) == "" and format_time("") == ""


def test_the_to_do_list_names_columns_in_french_and_the_contract_only_in_parentheses(tmp_path: Path):
    inputs = tmp_path / "inputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    code, _, err = _fir("new", "--region", REGION, "--year", 2025, "--inputs", inputs)
    assert code == 0, err
    code, out, err = _fir("check", "--region", REGION, "--year", 2025, "--inputs", inputs, "--outputs", tmp_path / "o")
    todo = (out + err).replace("\u202f", " ").replace("\u00a0", " ")
    assert code == 1 and "Traceback" not in todo
    for line in (
        "  Recettes (hauts-de-france/2025/revenue.csv) : 3 cellules à compléter",
        "    Montant final de l'année (final) : 3 montants à saisir (lignes 2 à 4)",
        "    Taux d'exécution publié, en % (rate_pct) : 2 valeurs à saisir (lignes 2, 3)",
        "    Détail, en petit (detail) : 28 textes à réécrire (lignes 2 à 29)",
        "À compléter : 9 tableaux (190 cellules), 77 textes. Rien n'a été publié.",
    ):
        assert line in todo, line
    # a contract name is never alone: each is in parentheses after its French title
    for name in ("final", "rate_pct", "detail", "amount", "executed", "value", "title"):
        assert not re.search(rf"(?m)^\s+{name} :", todo), name
        assert re.search(rf"\S \({name}\) :", todo), name
    assert "(s)" not in todo and "_somme" not in todo


@pytest.fixture
def staffed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A catalogue with accounts and a first draft of 2024 launched from the command line by the system
    user « m.dupont » (an account too), one refused access and one command-line line by a system user."""
    monkeypatch.delenv("FIR_DATABASE_URL", raising=False)
    outputs = tmp_path / "outputs"
    catalogue = store.open_catalogue(outputs)
    engine = catalogue.engine
    accounts.add(engine, "m.dupont", "approver", PASSWORD, "Marie Dupont")
    accounts.add(engine, "a.admin", "admin", PASSWORD, "Anne Admin")
    accounts.add(engine, "r.durand", "editor", PASSWORD, "Rémi Durand")
    pdfs = {"pdf": b"%PDF-1.7 r1", "archive": b"%PDF-1.7 archive r1", "draft": b"%PDF-1.7 PROJET r1"}
    with catalogue.lock(REGION, 2024, timeout=10):
        catalogue.record_draft(REGION, 2024, "Hauts-de-France", 1, pdfs, record("première"), [], "m.dupont")
    with engine.begin() as conn:  # a moment of winter and one of summer, as recorded: UTC
        for at, actor, address in (
            ("2026-12-06T17:12:05+00:00", "root", "ligne de commande (serveur)"),
            ("2026-07-14T08:05:09+00:00", "m.dupont", "192.0.2.7"),
        ):
            conn.execute(
                sa.insert(audit_log).values(
                    at=at, actor=actor, address=address, action=audit.BUILD, target=f"{REGION} 2024",
                    outcome=audit.OK, detail="essai",
                )
            )  # fmt: skip
    return outputs


def test_fir_drafts_says_who_by_name_when_in_paris_time_and_a_first_publication(staffed: Path):
    code, out, _ = _fir("drafts", "--outputs", staffed)
    assert code == 0
    # record() builds at 2025-03-15T06:00:00+01:00: the same moment said in Paris time
    assert "construit le 15/03/2025 à 06:00 par Marie Dupont" in out, out
    assert "première publication" in out and "0 chiffre" not in out and "+01:00" not in out


def test_the_dashboard_and_draft_page_say_people_by_name_and_no_zero_change(staffed: Path):
    client = TestClient(create_app(staffed))
    log_in(client, "r.durand")
    dashboard = client.get("/staff/").text
    assert re.search(PARIS_TIME, dashboard) and "15/03/2025 à 06:00" in dashboard and "+01:00" not in dashboard
    assert "Marie Dupont" in dashboard and ">m.dupont<" not in dashboard
    assert "première publication" in dashboard and ">0<" not in dashboard
    draft = client.get(f"/staff/drafts/{REGION}/2024/1").text
    assert "15/03/2025 à 06:00, lancée par Marie Dupont" in draft
    assert "par rapport à la révision précédente" not in draft


def test_the_audit_log_and_its_csv_in_paris_time_people_by_name_refusals_in_french(staffed: Path):
    client = TestClient(create_app(staffed))
    log_in(client, "r.durand")
    assert client.get("/staff/admin/audit").status_code == 403  # an editor may not: its refusal is recorded
    client.cookies.clear()
    log_in(client, "a.admin")
    page = client.get("/staff/admin/audit").text
    assert "Date (heure de Paris)" in page and "UTC" not in page
    assert "06/12/2026 à 18:12:05" in page and "14/07/2026 à 10:05:09" in page
    assert "utilisateur système root" in page and "Marie Dupont (m.dupont)" in page
    assert "réservé à qui peut consulter le journal d&#39;audit (compte rédacteur)" in page
    assert "page /staff/admin/audit" in page and "GET /staff" not in page  # what was asked, in words
    assert not re.search(r"droit « |\bmanage\b|\(editor\)|\(approver\)|\+00:00", page)
    exported = client.get("/staff/admin/audit.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    assert rows[0][:2] == ["date (heure de Paris)", "qui"]
    assert rows[-2][:2] == ["14/07/2026 à 10:05:09", "Marie Dupont (m.dupont)"]  # latest first
    assert rows[-1][:2] == ["06/12/2026 à 18:12:05", "utilisateur système root"]
    refusal = next(r for r in rows if r[3] == "accès refusé")
    assert (
        refusal[1] == "Rémi Durand (r.durand)"
        and refusal[6] == "réservé à qui peut consulter le journal d'audit (compte rédacteur)"
    )
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} à \d\d:\d\d:\d\d", r[0]) for r in rows[1:])


def test_the_command_line_maps_its_system_user_to_an_account_or_says_it_honestly(staffed: Path):
    from flows.notices import people

    known = people.known(store.open_catalogue(staffed).engine)
    assert people.person("m.dupont", known) == "Marie Dupont"
    assert people.person("root", known) == "ligne de commande (utilisateur système root)"
    assert people.person("planification annuelle", known) == "planification annuelle"
    assert people.person("", known) == "—"
    assert people.person_in_log("xavier", "192.0.2.7", known) == "xavier"  # a name typed on the login form


def test_fir_itself_run_as_a_child_speaks_french(tmp_path: Path):
    """As a person types it (a child process, the terminal's locale whatever it is)."""
    env = {**os.environ, "LANG": "en_US.UTF-8", "LANGUAGE": "en"}
    run = subprocess.run(
        [sys.executable, "-m", "flows.cli", "user", "add", "x", "--role", "editeur"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2 and "rôle inconnu « editeur »" in run.stderr
    _assert_french(run.stderr)


def test_the_steps_reused_from_the_cache_are_said_in_french():
    from flows.steps import cached_in_words

    said = cached_in_words(["prepare-e69", "chart-revenue-stages", "chart-history", "pages-1", "pages-3", "pages-3"])
    assert said == (
        "les données préparées, 2 graphiques (« recettes aux étapes budgétaires », « évolution d'une édition à "
        "l'autre »), 2 groupes de pages de la brochure (commençant p. 1, 3)"
    )
    assert cached_in_words(["pages-12"]) == "1 groupe de pages de la brochure (commençant p. 12)"
    # laid out before their first page was known (a first build's), or the footers' sheet: counted, not placed
    said = cached_in_words(["pages-0", "pages-0", "pages-11"])
    assert said == "3 groupes de pages de la brochure (commençant p. 11)"
    assert not re.search(r"\b(chart|pages|prepare)-", said)
