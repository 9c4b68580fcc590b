"""The publication store on each database it supports (SQLite under outputs/, a real PostgreSQL server):
revisions recorded in one transaction, files stored under their SHA-256, views regenerated from the
catalogue, recovery of what a crash or a hand left behind, the edition's lock."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.edition.publish import database, revision_rows, store, views
from flows.edition.publish.errors import Holder
from tests.store_child import REGION, YEAR, record

PDF_1, ARCHIVE_1 = b"%PDF-1.7 revision 1", b"%PDF-1.7 archive 1"
PDF_2, ARCHIVE_2 = b"%PDF-1.7 revision 2, corrected", b"%PDF-1.7 archive 2"
NAME = f"fir-{REGION}-{YEAR}"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _publish(catalogue: store.Catalogue, number: int, pdf: bytes, archive: bytes, reason: str = "motif") -> dict:
    with catalogue.lock(REGION, YEAR, timeout=10):
        return dict(catalogue.publish(REGION, YEAR, "Hauts-de-France", number, pdf, archive, record(reason)))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def catalogue(catalogue_backend: str, tmp_path: Path) -> store.Catalogue:
    return store.open_catalogue(tmp_path / "outputs")


def test_the_catalogue_is_where_the_backend_says(catalogue: store.Catalogue, catalogue_backend: str):
    assert catalogue.engine.dialect.name == catalogue_backend
    if catalogue_backend == "sqlite":
        assert catalogue.where == f"sqlite:///{catalogue.outputs / 'catalogue.sqlite3'}"
        with catalogue.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _head() -> str:
    """The newest migration: one head, or the chain is broken (two files with the same down_revision)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_migrations_are_applied_once_and_again_do_nothing(catalogue: store.Catalogue):
    database.migrate(catalogue.engine)  # a second opening, as the next command does
    with catalogue.engine.connect() as connection:
        versions = connection.exec_driver_sql("SELECT version_num FROM fir_catalogue_version").scalars().all()
        tables = set(sa.inspect(connection).get_table_names())
    assert versions == [_head()]
    assert {
        "editions",
        "revisions",
        "revision_files",
        "revision_results",
        "edition_locks",
        "users",
        "audit_log",
        "confirmations",
        "approval_settings",
        "outbox",
    } <= tables


def test_a_catalogue_of_an_earlier_version_is_upgraded_on_opening_and_keeps_its_revisions(
    catalogue_backend: str, tmp_path: Path
):
    from alembic import command
    from alembic.config import Config

    outputs = tmp_path / "outputs"
    outputs.mkdir()
    engine = database.create_engine(database.database_url(outputs))
    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS))
    with engine.connect() as connection:  # the schema as the previous version of the tool left it
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.commit()
    files = {"pdf": (f"{NAME}.pdf", _sha(PDF_1), len(PDF_1)), "archive": (f"{NAME}-archive.pdf", _sha(ARCHIVE_1), 9)}
    with engine.begin() as connection:  # a revision as that version recorded it (its columns only)
        edition_id = revision_rows.ensure_edition(connection, REGION, YEAR, "Hauts-de-France")
        revision_rows.insert_revision(connection, edition_id, 1, record("avant la migration"), files, (), {})
    engine.dispose()
    catalogue = store.open_catalogue(outputs)  # what the next command does
    with catalogue.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM fir_catalogue_version").scalars().all() == [_head()]
    history = catalogue.history(REGION, YEAR)
    assert [e["reason"] for e in history["revisions"]] == ["avant la migration"]
    assert history["revisions"][0]["status"] == "published"  # revisions from before drafts were published at once


PUBLISHED_AT_ONCE = {  # where a revision published without a draft stands (imports, the store's own tests)
    "status": "published",
    "launched_by": "",
    "based_on": None,
    "decided_by": None,
    "decided_at": None,
    "comment": None,
}


def test_there_is_no_history_before_the_first_publication(catalogue: store.Catalogue):
    assert catalogue.history(REGION, YEAR) is None
    assert catalogue.editions() == []


def test_a_revision_is_recorded_with_its_files_and_its_views_are_written(catalogue: store.Catalogue):
    history = _publish(catalogue, 1, PDF_1, ARCHIVE_1, "Première publication")
    folder = catalogue.outputs / REGION / str(YEAR)
    [stored] = (folder / ".records").glob("r1.published.*.json")  # the revision's record, beside its files
    written = json.loads(stored.read_bytes())
    assert written["revision"] == 1 and written["status"] == "published" and written["reason"] == "Première publication"
    assert written["files"]["pdf"] == {"name": f"{NAME}.pdf", "sha256": _sha(PDF_1), "size": len(PDF_1)}
    assert stored.stat().st_mode & 0o222 == 0 and not any((folder / ".records" / "prepared").iterdir())
    assert {k: v for k, v in _files(folder).items() if not k.startswith(".records/")} == {
        f".objects/{_sha(PDF_1)}": PDF_1,
        f".objects/{_sha(ARCHIVE_1)}": ARCHIVE_1,
        f"{NAME}.pdf": PDF_1,
        f"{NAME}-archive.pdf": ARCHIVE_1,
        "manifest.json": (folder / "manifest.json").read_bytes(),
        f"revisions/r1/{NAME}.pdf": PDF_1,
        f"revisions/r1/{NAME}-archive.pdf": ARCHIVE_1,
    } | ({".lock": b""} if catalogue.engine.dialect.name == "sqlite" else {})
    [entry] = history["revisions"]
    assert entry == {
        **record("Première publication"),
        "revision": 1,
        "pdf": {"file": f"revisions/r1/{NAME}.pdf", "sha256": _sha(PDF_1), "size": len(PDF_1)},
        "archive": {"file": f"revisions/r1/{NAME}-archive.pdf", "sha256": _sha(ARCHIVE_1), "size": len(ARCHIVE_1)},
        **PUBLISHED_AT_ONCE,
    }
    assert history == catalogue.history(REGION, YEAR)
    # The views are copies of the catalogue's files, never the same inode (damaging one leaves the other
    # whole), read-only as the objects are.
    assert not os.path.samefile(folder / f"{NAME}.pdf", folder / ".objects" / _sha(PDF_1))
    assert (folder / ".objects" / _sha(PDF_1)).stat().st_mode & 0o222 == 0
    assert (folder / f"{NAME}.pdf").stat().st_mode & 0o222 == 0
    # manifest.json is the history without the named figures, which only the catalogue keeps.
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert "figures" not in manifest["revisions"][0]
    assert manifest["revisions"][0]["pdf"] == entry["pdf"] and manifest["region_name"] == "Hauts-de-France"


def test_a_second_revision_becomes_current_and_keeps_the_first(catalogue: store.Catalogue):
    _publish(catalogue, 1, PDF_1, ARCHIVE_1)
    history = _publish(catalogue, 2, PDF_2, ARCHIVE_2, "correction")
    folder = catalogue.outputs / REGION / str(YEAR)
    assert [(e["revision"], e["reason"]) for e in history["revisions"]] == [(1, "motif"), (2, "correction")]
    assert (folder / f"{NAME}.pdf").read_bytes() == PDF_2
    assert (folder / f"{NAME}-archive.pdf").read_bytes() == ARCHIVE_2
    assert (folder / f"revisions/r1/{NAME}.pdf").read_bytes() == PDF_1
    assert (folder / f"revisions/r2/{NAME}-archive.pdf").read_bytes() == ARCHIVE_2
    assert catalogue.editions() == [(REGION, YEAR)]


@pytest.mark.parametrize("number", [1, 3])
def test_a_revision_that_is_not_the_next_is_refused_and_nothing_changes(catalogue: store.Catalogue, number: int):
    _publish(catalogue, 1, PDF_1, ARCHIVE_1)
    folder = catalogue.outputs / REGION / str(YEAR)
    views_before = {k: v for k, v in _files(folder).items() if not k.startswith(".objects")}
    with pytest.raises(store.RevisionConflict) as refused:
        _publish(catalogue, number, PDF_2, ARCHIVE_2, "une autre")
    assert [e["revision"] for e in catalogue.history(REGION, YEAR)["revisions"]] == [1]
    # the refused commit took back the two objects it had written, and only those
    removed = [folder / ".objects" / _sha(PDF_2), folder / ".objects" / _sha(ARCHIVE_2)]
    assert sorted(refused.value.removed_objects) == sorted(removed)  # type: ignore[attr-defined]
    assert {p.name for p in (folder / ".objects").iterdir()} == {_sha(PDF_1), _sha(ARCHIVE_1)}
    with catalogue.lock(REGION, YEAR, timeout=10):
        recovery = catalogue.recover(REGION, YEAR)
    # Its record, written before the refused commit, proves nothing: put in quarantine, not deleted.
    assert recovery.removed == []
    [moment] = (catalogue.outputs / ".quarantine").iterdir()  # one folder for what one recovery moved aside
    [aside] = recovery.quarantined
    assert aside.parent == moment / REGION / str(YEAR) / ".records" / "prepared"
    assert {k: v for k, v in _files(folder).items() if not k.startswith(".objects")} == views_before


def test_recovery_removes_leftovers_and_rewrites_every_view(catalogue: store.Catalogue):
    _publish(catalogue, 1, PDF_1, ARCHIVE_1)
    _publish(catalogue, 2, PDF_2, ARCHIVE_2, "correction")
    folder = catalogue.outputs / REGION / str(YEAR)
    expected = _files(folder)
    # What crashed runs and hands leave: temporary files, an unreferenced object, a revision folder the
    # catalogue never committed (the old wedge), a deleted current copy, a replaced one, a stale manifest.
    (folder / ".objects" / ".tmp-0123456789abcdef.4242").write_bytes(b"half")
    (folder / ".objects" / _sha(b"orphan")).write_bytes(b"orphan")
    (folder / "revisions" / "r3").mkdir()
    (folder / "revisions" / "r3" / f"{NAME}.pdf").write_bytes(b"never committed")
    (folder / "revisions" / ".r3.999.part").mkdir()
    (folder / f".{NAME}.pdf.999.part").write_bytes(b"aside")
    (folder / f"{NAME}.pdf").unlink()
    (folder / f"{NAME}-archive.pdf").unlink()
    (folder / f"{NAME}-archive.pdf").write_bytes(b"something else")
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    with catalogue.lock(REGION, YEAR, timeout=10):
        recovery = catalogue.recover(REGION, YEAR)
    assert _files(folder) == expected
    assert len(recovery.removed) == 4 and recovery.imported == [] and recovery.restored == []
    [aside] = recovery.quarantined  # the unreferenced object: moved aside, not deleted
    assert aside.read_bytes() == b"orphan" and aside.parent.parent.parent.parent.parent.name == ".quarantine"


def test_a_lost_object_is_restored_from_a_view_with_its_bytes_and_a_lost_file_is_reported(
    catalogue: store.Catalogue,
):
    _publish(catalogue, 1, PDF_1, ARCHIVE_1)
    folder = catalogue.outputs / REGION / str(YEAR)
    obj = folder / ".objects" / _sha(PDF_1)
    obj.unlink()  # the views still hold the bytes
    with catalogue.lock(REGION, YEAR, timeout=10):
        recovery = catalogue.recover(REGION, YEAR, verify=True)
    assert recovery.restored == [obj] and obj.read_bytes() == PDF_1
    for path in (obj, folder / f"{NAME}.pdf", folder / f"revisions/r1/{NAME}.pdf"):
        path.unlink()
    with catalogue.lock(REGION, YEAR, timeout=10), pytest.raises(store.StoreDamaged) as damaged:
        catalogue.recover(REGION, YEAR)
    assert damaged.value.path == obj and f"revisions/r1/{NAME}.pdf" in damaged.value.detail


def test_verification_finds_an_altered_object(catalogue: store.Catalogue):
    """Same size, other bytes: the current publication's objects are read whole by every recovery, and an
    intact copy restores them; an older revision's are read by `fir repair` (verify); with no intact copy
    left anywhere, the store is damaged (a backup is needed)."""
    _publish(catalogue, 1, PDF_1, ARCHIVE_1)
    _publish(catalogue, 2, PDF_2, ARCHIVE_2, "correction")
    folder = catalogue.outputs / REGION / str(YEAR)
    current, older = folder / ".objects" / _sha(ARCHIVE_2), folder / ".objects" / _sha(ARCHIVE_1)
    for obj, data in ((current, ARCHIVE_2), (older, ARCHIVE_1)):
        obj.chmod(0o644)
        obj.write_bytes(data.replace(b"c", b"x"))  # same size, other bytes; the views are files of their own
    assert (folder / f"{NAME}-archive.pdf").read_bytes() == ARCHIVE_2
    with catalogue.lock(REGION, YEAR, timeout=10):
        assert catalogue.recover(REGION, YEAR).restored == [current]  # the current publication: seen
        assert current.read_bytes() == ARCHIVE_2 and older.read_bytes() != ARCHIVE_1  # sizes only for r1
        assert catalogue.recover(REGION, YEAR, verify=True).restored == [older]
    assert older.read_bytes() == ARCHIVE_1 and not os.path.samefile(
        older, folder / "revisions/r1" / f"{NAME}-archive.pdf"
    )
    for path in (older, folder / "revisions/r1" / f"{NAME}-archive.pdf"):
        path.chmod(0o644)
        path.write_bytes(ARCHIVE_1.replace(b"c", b"x"))
    with catalogue.lock(REGION, YEAR, timeout=10), pytest.raises(store.StoreDamaged):
        catalogue.recover(REGION, YEAR, verify=True)


def test_results_needed_are_those_of_each_editions_latest_revision(catalogue: store.Catalogue):
    with catalogue.lock(REGION, YEAR, timeout=10):
        catalogue.publish(REGION, YEAR, "HdF", 1, PDF_1, ARCHIVE_1, record("a"), ["k1", "shared"])
        catalogue.publish(REGION, YEAR, "HdF", 2, PDF_2, ARCHIVE_2, record("b"), ["k2", "shared"])
    with catalogue.lock(REGION, 2018, timeout=10):
        catalogue.publish(REGION, 2018, "HdF", 1, PDF_1, ARCHIVE_1, record("c"), ["k3"])
    assert catalogue.results_needed() == {"k2", "shared", "k3"}


def test_the_edition_lock_makes_a_second_run_wait_and_says_who_holds_it(catalogue: store.Catalogue):
    events: list[str] = []
    waiting: list[tuple[str, Holder | None]] = []
    first_inside, release_first = threading.Event(), threading.Event()

    def first() -> None:
        with catalogue.lock(REGION, YEAR, timeout=10):
            events.append("first in")
            first_inside.set()
            release_first.wait(10)
            events.append("first out")

    def second() -> None:
        first_inside.wait(10)
        with catalogue.lock(REGION, YEAR, timeout=10, on_wait=lambda where, who: waiting.append((where, who))):
            events.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_inside.wait(10)
    time.sleep(1.0)  # the second run has had time to try the lock
    assert events == ["first in"]
    [(where, holder)] = waiting
    assert holder is not None and (holder.pid, holder.host) == (os.getpid(), socket.gethostname())
    assert f"processus {os.getpid()} sur {socket.gethostname()}, depuis le " in holder.describe()
    assert (".lock" in where) if catalogue.engine.dialect.name == "sqlite" else ("verrou consultatif" in where)
    release_first.set()
    for thread in threads:
        thread.join(10)
    assert events == ["first in", "first out", "second in"]


def test_a_lock_not_released_in_time_is_a_lock_timeout_naming_the_holder(catalogue: store.Catalogue):
    inside, release = threading.Event(), threading.Event()

    def holder() -> None:
        with catalogue.lock(REGION, YEAR, timeout=10):
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert inside.wait(10)
        with pytest.raises(store.LockTimeout) as timeout, catalogue.lock(REGION, YEAR, timeout=0.5):
            pass
        assert timeout.value.holder is not None and timeout.value.holder.pid == os.getpid()
        assert timeout.value.waited >= 0.5
    finally:
        release.set()
        thread.join(10)


def test_views_survive_being_deleted_by_hand(catalogue: store.Catalogue):
    _publish(catalogue, 1, PDF_1, ARCHIVE_1)
    folder = catalogue.outputs / REGION / str(YEAR)
    for path in (folder / "revisions", folder / "manifest.json", folder / f"{NAME}.pdf"):
        if path.is_dir():
            for inner in sorted(path.rglob("*"), reverse=True):
                inner.unlink() if inner.is_file() else inner.rmdir()
            path.rmdir()
        else:
            path.unlink()
    with catalogue.lock(REGION, YEAR, timeout=10):
        catalogue.recover(REGION, YEAR)
    assert (folder / f"revisions/r1/{NAME}.pdf").read_bytes() == PDF_1
    assert (folder / f"{NAME}.pdf").read_bytes() == PDF_1
    assert views.manifest_json(catalogue.history(REGION, YEAR)) == (folder / "manifest.json").read_bytes()


def test_many_processes_opening_a_new_catalogue_at_once_all_find_it_ready(tmp_path: Path, monkeypatch):
    """`fir national` starts several builds on a new outputs/: each opens (and migrates) the catalogue."""
    import subprocess
    import sys

    monkeypatch.delenv("FIR_DATABASE_URL", raising=False)
    code = (
        "import sys; from pathlib import Path; from flows.edition.publish import store; "
        "store.open_catalogue(Path(sys.argv[1])); print('prêt')"
    )
    for round_ in range(3):
        outputs = tmp_path / f"outputs-{round_}"
        children = [
            subprocess.Popen([sys.executable, "-c", code, str(outputs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(6)
        ]
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0 and out.decode().strip() == "prêt", err.decode()[-2000:]
