"""A store rebuildable from its objects (issue 24, point 3): each state of each revision is an immutable record
beside its files; a catalogue older than the files (an older copy restored, from outside) is brought forward
by `fir repair` with every revision, decision, file and draft and nothing deleted; a damaged SQLite file is
exit 3 with what to do for build, approve and repair, and `fir repair --reconstruire-catalogue` rebuilds it;
on PostgreSQL, into an empty database."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from flows.edition.publish import objects, store
from tests.helpers import APPROVER, EDITOR, fir
from tests.store_child import REGION, YEAR, record

NAME = f"fir-{REGION}-{YEAR}"
AT = "2025-03-{:02d}T10:00:00+00:00"


def _files(n: int) -> dict[str, bytes]:
    """A draft's files, cheap: the brochure, its archival copy, the marked copy and the print shop's file."""
    return {
        "pdf": f"%PDF-1.7 brochure r{n}".encode() * 50,
        "archive": f"%PDF-1.7 archive r{n}".encode() * 50,
        "draft": f"%PDF-1.7 PROJET r{n}".encode() * 50,
        "print": f"%PDF-1.7 impression r{n}".encode() * 50,
    }


def _draft(outputs: Path, n: int, by: str = EDITOR) -> None:
    catalogue = store.open_catalogue(outputs)
    with catalogue.lock(REGION, YEAR, timeout=10):
        catalogue.record_draft(REGION, YEAR, "Hauts-de-France", n, _files(n), record(f"r{n}"), [f"res-{n}"], by)


def _decide(outputs: Path, n: int, approve: bool, comment: str = "relu") -> None:
    catalogue = store.open_catalogue(outputs)
    with catalogue.lock(REGION, YEAR, timeout=10):
        catalogue.decide(REGION, YEAR, n, approve, APPROVER, comment, AT.format(n))


def _forget(outputs: Path) -> None:
    """Close this process's catalogue of `outputs` (the next opening reads the database again)."""
    for key in [k for k in store._opened if k[0] == outputs.resolve()]:
        store._opened.pop(key).engine.dispose()


def _tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (catalogue files and quarantine aside): relative path → SHA-256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "catalogue" not in p.name
    }


def _everything(outputs: Path) -> dict:
    history = store.open_catalogue(outputs).history(REGION, YEAR, statuses=None)
    assert history is not None
    return dict(history)


class OlderCopy:
    """The catalogue as it was at one instant, taken and put back from outside the code: SQLite, the file
    copied once its write-ahead log is checkpointed; PostgreSQL, a copy of the database (CREATE DATABASE …
    TEMPLATE), then named in FIR_DATABASE_URL as an older backup restored would be."""

    def __init__(self, outputs: Path, backend: str, monkeypatch: pytest.MonkeyPatch):
        self.outputs, self.backend, self.monkeypatch = outputs, backend, monkeypatch
        self.copies: list[str] = []

    def take(self) -> None:
        if self.backend == "sqlite":
            _checkpoint(self.outputs)
            shutil.copyfile(self.outputs / "catalogue.sqlite3", self.outputs.parent / "older.sqlite3")
            return
        _forget(self.outputs)  # a database is copied while nobody is connected to it
        url = make_url(os.environ["FIR_DATABASE_URL"])
        name = f"{url.database}_older"
        with _server(url.set(database="postgres")) as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(url.database))
            )
        self.copies.append(name)

    def restore(self) -> None:
        _forget(self.outputs)
        if self.backend == "sqlite":
            for suffix in ("-wal", "-shm"):
                (self.outputs / f"catalogue.sqlite3{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.outputs.parent / "older.sqlite3", self.outputs / "catalogue.sqlite3")
            return
        url = make_url(os.environ["FIR_DATABASE_URL"])
        self.monkeypatch.setenv("FIR_DATABASE_URL", url.set(database=self.copies[-1]).render_as_string(False))

    def drop(self) -> None:
        if self.copies:
            _forget(self.outputs)
            url = make_url(os.environ["FIR_DATABASE_URL"])
            with _server(url.set(database="postgres")) as connection:
                for name in self.copies:
                    connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _checkpoint(outputs: Path) -> None:
    """Copy the write-ahead log into the SQLite file (what a backup of the file alone needs), from outside."""
    _forget(outputs)
    connection = sqlite3.connect(outputs / "catalogue.sqlite3")
    try:
        assert connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    finally:
        connection.close()


def _server(url) -> psycopg.Connection:  # type: ignore[no-untyped-def]
    return psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True)


@pytest.fixture
def older(catalogue_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OlderCopy]:
    copy = OlderCopy(tmp_path / "outputs", catalogue_backend, monkeypatch)
    yield copy
    copy.drop()


def _records(outputs: Path) -> dict[str, dict]:
    folder = outputs / REGION / str(YEAR) / ".records"
    return {p.name: json.loads(p.read_bytes()) for p in sorted(folder.glob("r*.json"))}


def test_each_state_of_a_revision_is_a_new_read_only_record_beside_its_files(catalogue_backend: str, tmp_path: Path):
    outputs = tmp_path / "outputs"
    _draft(outputs, 1)
    [built] = _records(outputs).values()
    assert built["status"] == "draft" and built["launched_by"] == EDITOR and built["based_on"] is None
    assert {role: f["name"] for role, f in built["files"].items()} == {
        "pdf": f"{NAME}.pdf",
        "archive": f"{NAME}-archive.pdf",
        "draft": f"{NAME}-projet.pdf",
        "print": f"{NAME}-impression.pdf",
    }
    folder = outputs / REGION / str(YEAR)
    first = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (folder / ".records").glob("r*.json")}
    _decide(outputs, 1, approve=True, comment="relu, bon pour diffusion")
    found = _records(outputs)
    assert len(found) == 2
    # The build's record is untouched; the approval is a new record with the whole revision.
    assert {n: (folder / ".records" / n).read_bytes() for n in first} == {n: b for n, (b, _) in first.items()}
    assert {n: (folder / ".records" / n).stat().st_mtime_ns for n in first} == {n: t for n, (_, t) in first.items()}
    [decided] = [r for n, r in found.items() if n.startswith("r1.published.")]
    assert (decided["decided_by"], decided["decided_at"], decided["decision_comment"]) == (
        APPROVER,
        AT.format(1),
        "relu, bon pour diffusion",
    )
    assert decided["launched_by"] == EDITOR and decided["files"] == built["files"] and decided["results"] == ["res-1"]
    assert decided["record"]["figures"] == {"revenue.total": "r1"} and decided["region_name"] == "Hauts-de-France"
    assert all(p.stat().st_mode & 0o222 == 0 for p in (folder / ".records").glob("r*.json"))
    _draft(outputs, 2)
    _decide(outputs, 2, approve=False, comment="chiffre faux p. 4")
    assert sorted(n.split(".")[0] + "." + n.split(".")[1] for n in _records(outputs)) == [
        "r1.draft",
        "r1.published",
        "r2.draft",
        "r2.rejected",
    ]
    names = set(_records(outputs))
    repair = fir("repair", "--outputs", outputs)  # the records say what the catalogue says: nothing to write
    assert repair.returncode == 0 and "enregistrements écrits" not in repair.stdout, repair.stdout + repair.stderr
    assert set(_records(outputs)) == names


def test_a_catalogue_restored_from_an_older_copy_gets_back_every_revision_decision_file_and_draft(
    older: OlderCopy, tmp_path: Path
):
    """The issue's case 3: r1 published, r2 built; the catalogue copied; r2 approved, r3–r4 built (drafts
    awaiting sign-off), r5 rejected; the older copy put back. `fir repair` restores all of it and deletes
    nothing: r2 published with who launched and who approved it, its print file, the drafts' marked copies."""
    outputs = tmp_path / "outputs"
    _draft(outputs, 1)
    _decide(outputs, 1, approve=True)
    _draft(outputs, 2)
    older.take()  # the instant the backup was made (or the last checkpoint before the WAL was lost)
    _decide(outputs, 2, approve=True, comment="relu, publié")
    for n in (3, 4, 5):
        _draft(outputs, n)
    _decide(outputs, 5, approve=False, comment="à refaire")
    folder = outputs / REGION / str(YEAR)
    before_tree, before = _tree(folder), _everything(outputs)
    assert [(e["revision"], e["status"]) for e in before["revisions"]] == [
        (1, "published"),
        (2, "published"),
        (3, "draft"),
        (4, "draft"),
        (5, "rejected"),
    ]
    older.restore()
    assert [(e["revision"], e["status"]) for e in _everything(outputs)["revisions"]] == [(1, "published"), (2, "draft")]
    repair = fir("repair", "--outputs", outputs)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    assert "Traceback" not in repair.stderr and "supprimé" not in repair.stdout and "quarantaine" not in repair.stdout
    assert "reprises des enregistrements dans le catalogue (fichiers et décisions) : révisions 3, 4, 5" in repair.stdout
    assert "décisions reprises des enregistrements : révisions 2" in repair.stdout
    assert f"{REGION} {YEAR} : 2 révision(s) publiée(s), 2 projet(s) en attente" in repair.stdout
    _forget(outputs)
    after = _everything(outputs)
    assert after == before  # every field: launched_by, based_on, decided_by/at, comment, files, figures
    r2 = after["revisions"][1]
    assert (r2["launched_by"], r2["decided_by"], r2["comment"]) == (EDITOR, APPROVER, "relu, publié")
    assert _tree(folder) == before_tree  # 0 files deleted, nothing altered, nothing added
    printed = folder / "revisions" / "r2" / f"{NAME}-impression.pdf"
    assert printed.read_bytes() == _files(2)["print"]
    assert (folder / f"{NAME}-impression.pdf").read_bytes() == _files(2)["print"]  # the current one
    assert {p.name for p in (folder / "projets").iterdir()} == {"r3", "r4"}  # the drafts survive
    assert store.open_catalogue(outputs).results_needed() == {"res-5"}
    again = fir("repair", "--outputs", outputs)  # nothing more to do
    assert again.returncode == 0 and "reprises" not in again.stdout and "écrits" not in again.stdout, again.stdout


def test_a_decision_on_a_catalogue_put_back_older_first_takes_back_what_the_records_hold(
    older: OlderCopy, tmp_path: Path
):
    """No repair in between: `fir approve` itself decides on what the records say, never on the older copy."""
    outputs = tmp_path / "outputs"
    _draft(outputs, 1)
    _decide(outputs, 1, approve=True)
    _draft(outputs, 2)
    older.take()
    _decide(outputs, 2, approve=False, comment="chiffre faux")
    _draft(outputs, 3)
    older.restore()
    again = _approve(outputs, 2)
    assert again.returncode == 2 and "pas un projet en attente (rejetée)" in again.stderr, again.stderr
    done = _approve(outputs, 3)
    assert done.returncode == 0, done.stdout + done.stderr
    _forget(outputs)
    assert [(e["revision"], e["status"], e["decided_by"]) for e in _everything(outputs)["revisions"]] == [
        (1, "published", APPROVER),
        (2, "rejected", APPROVER),
        (3, "published", APPROVER),
    ]
    assert [n.split(".")[0] + "." + n.split(".")[1] for n in _records(outputs)] == [
        "r1.draft",
        "r1.published",
        "r2.draft",
        "r2.rejected",
        "r3.draft",
        "r3.published",
    ]


def _approve(outputs: Path, number: int) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flows.cli", "approve", REGION, str(YEAR), str(number), "--comment", "relu"]
    command += ["--outputs", str(outputs)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ, "LOGNAME": APPROVER})


def test_a_record_lost_between_a_commit_and_its_writing_is_written_by_the_next_recovery(
    catalogue_backend: str, tmp_path: Path
):
    """From outside: a decision's record removed (a kill right after the approval's commit) and a build's
    record left where it is written before the commit (a kill between the commit and its move)."""
    outputs = tmp_path / "outputs"
    _draft(outputs, 1)
    _decide(outputs, 1, approve=True)
    _draft(outputs, 2)
    folder = outputs / REGION / str(YEAR) / ".records"
    [decision] = folder.glob("r1.published.*.json")
    [built] = folder.glob("r2.draft.*.json")
    expected = {p.name: p.read_bytes() for p in folder.glob("r*.json")}
    decision.unlink()
    (folder / "prepared").mkdir(exist_ok=True)
    built.rename(folder / "prepared" / built.name)
    repair = fir("repair", "--outputs", outputs)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    assert "enregistrements écrits depuis le catalogue : 1" in repair.stdout and "quarantaine" not in repair.stdout
    assert {p.name: p.read_bytes() for p in folder.glob("r*.json")} == expected
    assert not any((folder / "prepared").iterdir())


def test_a_record_of_a_build_killed_before_its_commit_goes_to_quarantine_with_its_files(
    catalogue_backend: str, tmp_path: Path
):
    """Nothing proves such a build committed: its record and its files are moved aside, listed, not deleted,
    and not restored into the catalogue."""
    outputs = tmp_path / "outputs"
    _draft(outputs, 1)
    folder = outputs / REGION / str(YEAR)
    catalogue = store.open_catalogue(outputs)
    with catalogue.lock(REGION, YEAR, timeout=10), pytest.raises(store.RevisionConflict):
        catalogue.record_draft(REGION, YEAR, "Hauts-de-France", 3, _files(3), record("r3"), [], EDITOR)  # refused
    # The refused commit took its own objects back; a build killed there would have left them: put them back.
    for data in _files(3).values():
        objects.put(folder, data)
    repair = fir("repair", "--outputs", outputs)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    aside = [line.split(" : ", 1)[1] for line in repair.stdout.splitlines() if "mis en quarantaine : " in line]
    assert len(aside) == 5  # the record and the four files
    assert all(Path(p).is_file() and "/.quarantine/" in p for p in aside)
    assert f"gc --outputs {outputs} » les supprimera à partir du " in repair.stdout and "(30 jours)" in repair.stdout
    assert [e["revision"] for e in _everything(outputs)["revisions"]] == [1]
    assert sorted(Path(p).read_bytes() for p in aside if "/.objects/" in p) == sorted(_files(3).values())
    assert not list((folder / ".records" / "prepared").iterdir())


def _damage(path: Path) -> None:
    """Overwrite bytes in the middle of the file, from outside (16 KiB of garbage at a page boundary)."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek((size // 2) // 4096 * 4096)
        handle.write(bytes(range(256)) * 64)


def test_a_damaged_sqlite_catalogue_is_exit_3_for_build_approve_and_repair_and_is_rebuilt_from_the_records(
    inputs_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from flows.portal import accounts

    monkeypatch.delenv("FIR_DATABASE_URL", raising=False)
    outputs = tmp_path / "outputs"
    for n in range(1, 9):  # a catalogue of some pages, so that its middle holds revisions
        _draft(outputs, n)
        _decide(outputs, n, approve=n % 3 != 0, comment=f"décision {n}")
    _draft(outputs, 9)
    catalogue = store.open_catalogue(outputs)
    accounts.add(catalogue.engine, "m.dupont", "approver", "un mot de passe assez long", "Marie Dupont", None)
    before, tree = _everything(outputs), _tree(outputs / REGION / str(YEAR))
    _checkpoint(outputs)
    _damage(outputs / "catalogue.sqlite3")
    damaged = (outputs / "catalogue.sqlite3").read_bytes()
    build = fir("build", "--region", REGION, "--year", YEAR, "--inputs", inputs_copy, "--outputs", outputs)
    approve = fir("approve", REGION, YEAR, 9, "--comment", "relu", "--outputs", outputs)
    repair, collect = fir("repair", "--outputs", outputs), fir("gc", "--outputs", outputs)
    for run in (build, approve, repair, collect):
        assert run.returncode == 3, run.stdout + run.stderr
        assert "Traceback" not in run.stdout + run.stderr
        assert "le catalogue est endommagé" in run.stderr and "--reconstruire-catalogue" in run.stderr
        assert "met le fichier endommagé de côté (sans le supprimer)" in run.stderr
    assert (outputs / "catalogue.sqlite3").read_bytes() == damaged  # untouched by the refusals
    rebuilt = fir("repair", "--reconstruire-catalogue", "--outputs", outputs)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    [aside] = outputs.glob("catalogue-endommage-*.sqlite3")
    assert aside.read_bytes() == damaged  # moved aside, never deleted
    assert f"Catalogue endommagé mis de côté (pas supprimé) : {aside}" in rebuilt.stdout
    assert (
        "reprises des enregistrements dans le catalogue (fichiers et décisions) : révisions 1, 2, 3, 4, 5, 6, 7, 8, 9"
        in (rebuilt.stdout)
    )
    assert "comptes du personnel : " in rebuilt.stdout and "journal d'audit : " in rebuilt.stdout
    assert _everything(outputs) == before
    assert _tree(outputs / REGION / str(YEAR)) == tree
    if "comptes du personnel : 1 ligne(s) reprise(s)" in rebuilt.stdout:
        assert [a.name for a in accounts.listing(store.open_catalogue(outputs).engine)] == ["m.dupont"]
    approved = fir("approve", REGION, YEAR, 9, "--comment", "relu", "--outputs", outputs)  # works again
    assert approved.returncode == 0, approved.stdout + approved.stderr
    healthy = fir("repair", "--reconstruire-catalogue", "--outputs", outputs)
    assert healthy.returncode == 2 and "n'est pas endommagé : rien à reconstruire" in healthy.stderr


def test_a_postgresql_catalogue_is_rebuilt_from_the_records_into_an_empty_database_never_over_one(
    postgres_database: str, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from tests.postgres import create_database, drop_database

    monkeypatch.setenv("FIR_DATABASE_URL", postgres_database)
    outputs = tmp_path / "outputs"
    _draft(outputs, 1)
    _decide(outputs, 1, approve=True)
    _draft(outputs, 2)
    _decide(outputs, 2, approve=False, comment="non")
    _draft(outputs, 3)
    before, tree = _everything(outputs), _tree(outputs / REGION / str(YEAR))
    refused = fir("repair", "--reconstruire-catalogue", "--outputs", outputs)
    assert refused.returncode == 2 and "contient déjà un catalogue (3 révision(s))" in refused.stderr
    assert "Créer une base vide (createdb), la nommer dans FIR_DATABASE_URL" in refused.stderr
    _forget(outputs)
    empty = create_database(postgres_url, "rebuilt_" + make_url(postgres_database).database)
    try:
        monkeypatch.setenv("FIR_DATABASE_URL", empty)
        rebuilt = fir("repair", "--reconstruire-catalogue", "--outputs", outputs)
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        assert "reprendre d'une sauvegarde, ou recréer les comptes (fir user add)" in rebuilt.stdout
        assert "reprises des enregistrements dans le catalogue (fichiers et décisions) : révisions 1, 2, 3" in (
            rebuilt.stdout
        )
        assert _everything(outputs) == before and _tree(outputs / REGION / str(YEAR)) == tree
        _forget(outputs)
    finally:
        drop_database(postgres_url, make_url(empty).database)


def test_real_builds_approved_then_an_older_catalogue_put_back_lose_nothing(
    inputs_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """End to end with `fir build` and `fir approve`: r1 published; the catalogue file copied; a correction
    built and approved (r2, with its print file); the older copy put back; `fir repair` restores r2 as it was."""
    from tests.helpers import fir_build

    monkeypatch.delenv("FIR_DATABASE_URL", raising=False)
    outputs = tmp_path / "outputs"
    fir_build(YEAR, outputs, inputs_copy)
    _checkpoint(outputs)
    shutil.copyfile(outputs / "catalogue.sqlite3", tmp_path / "older.sqlite3")
    thematics = inputs_copy / REGION / str(YEAR) / "thematics.csv"
    thematics.write_text(thematics.read_text(encoding="utf-8").replace("Parcours Cancer", "Parcours cancer"))
    fir_build(YEAR, outputs, inputs_copy, reason="correction d'un libellé")
    folder = outputs / REGION / str(YEAR)
    before, tree = _everything(outputs), _tree(folder)
    assert [(e["revision"], e["status"], e["launched_by"], e["decided_by"]) for e in before["revisions"]] == [
        (1, "published", EDITOR, APPROVER),
        (2, "published", EDITOR, APPROVER),
    ]
    _forget(outputs)
    for suffix in ("-wal", "-shm"):
        (outputs / f"catalogue.sqlite3{suffix}").unlink(missing_ok=True)
    shutil.copyfile(tmp_path / "older.sqlite3", outputs / "catalogue.sqlite3")  # the older backup, restored
    repair = fir("repair", "--outputs", outputs)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    assert "révisions 2" in repair.stdout and "supprimé" not in repair.stdout and "quarantaine" not in repair.stdout
    _forget(outputs)
    assert _everything(outputs) == before
    assert _tree(folder) == tree  # every file kept, byte for byte
    printed = folder / "revisions" / "r2" / f"{NAME}-impression.pdf"
    assert (
        printed.read_bytes().startswith(b"%PDF")
        and _tree(folder)[f"{NAME}-impression.pdf"] == (before["revisions"][1]["print"]["sha256"])
    )
    unchanged = fir("build", "--region", REGION, "--year", YEAR, "--inputs", inputs_copy, "--outputs", outputs)
    assert unchanged.returncode == 0 and "Données inchangées depuis la révision 2 du" in unchanged.stdout, (
        unchanged.stdout + unchanged.stderr
    )
