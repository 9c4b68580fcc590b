"""Publishing a revision into outputs/: files, current copies and manifest, never half-written, one run at a time."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

import pytest

from flows.edition.publish import store as publish
from tests.conftest import REGION

YEAR = 2024
PDF_1, ARCHIVE_1 = b"%PDF-1.7 revision 1", b"%PDF-1.7 archive 1"
PDF_2, ARCHIVE_2 = b"%PDF-1.7 revision 2, corrected", b"%PDF-1.7 archive 2"


def _record(reason: str) -> dict:
    return {"published_at": "2025-03-15T06:00:00+01:00", "reason": reason, "trigger": "manual", "erratum": []}


def _publish(outputs: Path, number: int, pdf: bytes, archive: bytes, reason: str = "motif") -> dict:
    return publish.publish_revision(outputs, REGION, YEAR, number, pdf, archive, _record(reason), "Hauts-de-France")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_there_is_no_manifest_before_the_first_publication(tmp_path):
    assert publish.read_manifest(tmp_path, REGION, YEAR) is None


def test_a_revision_writes_its_files_the_current_copies_and_the_manifest(tmp_path):
    manifest = _publish(tmp_path, 1, PDF_1, ARCHIVE_1, "Première publication")
    folder = tmp_path / REGION / "2024"
    assert _files(folder) == {
        "fir-hauts-de-france-2024.pdf": PDF_1,
        "fir-hauts-de-france-2024-archive.pdf": ARCHIVE_1,
        "manifest.json": (folder / "manifest.json").read_bytes(),
        "revisions/r1/fir-hauts-de-france-2024.pdf": PDF_1,
        "revisions/r1/fir-hauts-de-france-2024-archive.pdf": ARCHIVE_1,
    }
    assert manifest == publish.read_manifest(tmp_path, REGION, YEAR)
    assert manifest == json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["region"], manifest["region_name"], manifest["year"]) == (REGION, "Hauts-de-France", 2024)
    [entry] = manifest["revisions"]
    assert entry == {
        **_record("Première publication"),
        "revision": 1,
        "pdf": {
            "file": "revisions/r1/fir-hauts-de-france-2024.pdf",
            "sha256": hashlib.sha256(PDF_1).hexdigest(),
            "size": len(PDF_1),
        },
        "archive": {
            "file": "revisions/r1/fir-hauts-de-france-2024-archive.pdf",
            "sha256": hashlib.sha256(ARCHIVE_1).hexdigest(),
            "size": len(ARCHIVE_1),
        },
    }


def test_a_second_revision_becomes_current_and_keeps_the_first(tmp_path):
    _publish(tmp_path, 1, PDF_1, ARCHIVE_1)
    manifest = _publish(tmp_path, 2, PDF_2, ARCHIVE_2, "correction")
    folder = tmp_path / REGION / "2024"
    assert [(e["revision"], e["reason"]) for e in manifest["revisions"]] == [(1, "motif"), (2, "correction")]
    assert (folder / "fir-hauts-de-france-2024.pdf").read_bytes() == PDF_2
    assert (folder / "fir-hauts-de-france-2024-archive.pdf").read_bytes() == ARCHIVE_2
    assert (folder / "revisions/r1/fir-hauts-de-france-2024.pdf").read_bytes() == PDF_1
    assert (folder / "revisions/r2/fir-hauts-de-france-2024-archive.pdf").read_bytes() == ARCHIVE_2
    assert not [p for p in folder.rglob("*") if ".part" in p.name]  # nothing left aside


def test_an_existing_revision_is_refused_and_nothing_changes(tmp_path):
    _publish(tmp_path, 1, PDF_1, ARCHIVE_1)
    folder = tmp_path / REGION / "2024"
    before = _files(folder)
    with pytest.raises(FileExistsError, match="la révision 1 existe déjà"):
        _publish(tmp_path, 1, PDF_2, ARCHIVE_2, "une autre")
    assert _files(folder) == before
    assert not [p for p in folder.rglob("*") if ".part" in p.name]


def test_the_edition_lock_makes_a_second_run_wait_for_the_first(tmp_path):
    events: list[str] = []
    first_inside, release_first = threading.Event(), threading.Event()

    def first() -> None:
        with publish.edition_lock(tmp_path, REGION, YEAR):
            events.append("first in")
            first_inside.set()
            release_first.wait(10)
            events.append("first out")

    def second() -> None:
        first_inside.wait(10)
        with publish.edition_lock(tmp_path, REGION, YEAR):
            events.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_inside.wait(10)
    time.sleep(0.5)  # the second run has had time to try the lock
    assert events == ["first in"]
    release_first.set()
    for thread in threads:
        thread.join(10)
    assert events == ["first in", "first out", "second in"]
    assert (tmp_path / REGION / "2024" / ".lock").exists()
