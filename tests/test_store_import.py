"""An outputs/ tree written before the catalogue existed (tests/fixtures/legacy-outputs, made by commit
48a57f7) is imported with every revision and checksum: by `fir repair`, or by the edition's next build.
The old wedge (a revision folder the manifest does not list) is undone; a damaged tree is refused."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from flows.edition.publish import store
from tests.helpers import fir
from tests.test_store import PUBLISHED_AT_ONCE
from tests.test_store_faults import assert_consistent

LEGACY = Path(__file__).parent / "fixtures" / "legacy-outputs"
REGION, YEAR = "hauts-de-france", 2018


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    outputs = tmp_path / "outputs"
    shutil.copytree(LEGACY, outputs)
    (outputs / "README.md").unlink()
    return outputs


def _manifest(outputs: Path) -> dict:
    return json.loads((outputs / REGION / str(YEAR) / "manifest.json").read_text(encoding="utf-8"))


def test_repair_imports_every_revision_with_its_record_and_checksums(catalogue_backend: str, legacy: Path):
    before = _manifest(legacy)
    bytes_before = {p.relative_to(legacy): p.read_bytes() for p in legacy.rglob("*.pdf")}
    run = fir("repair", "--outputs", legacy)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{REGION} {YEAR} : 2 révision(s)" in run.stdout
    assert "importées dans le catalogue : révisions 1, 2" in run.stdout
    history = store.open_catalogue(legacy).history(REGION, YEAR)
    assert history is not None and history["region_name"] == "Hauts-de-France"
    # every field, figures included, as recorded (a tree of that time has no published values' bases)
    assert history["revisions"] == [{**entry, "basis": {}, **PUBLISHED_AT_ONCE} for entry in before["revisions"]]
    assert assert_consistent(legacy, REGION, YEAR) == [1, 2]
    for path, data in bytes_before.items():  # the same bytes at the same paths
        assert (legacy / path).read_bytes() == data
        assert hashlib.sha256(data).hexdigest() in {e["pdf"]["sha256"] for e in history["revisions"]} | {
            e["archive"]["sha256"] for e in history["revisions"]
        }
    again = fir("repair", "--outputs", legacy)  # idempotent: nothing more to import
    assert again.returncode == 0 and "importées" not in again.stdout
    assert store.open_catalogue(legacy).history(REGION, YEAR) == history


def test_the_old_wedge_is_undone_the_uncommitted_revision_folder_goes_the_current_copy_comes_back(legacy: Path):
    """What the old code left when killed between renaming revisions/r3/ into place and the manifest."""
    folder = legacy / REGION / str(YEAR)
    (folder / "revisions" / "r3").mkdir()
    for name in (f"fir-{REGION}-{YEAR}.pdf", f"fir-{REGION}-{YEAR}-archive.pdf"):
        (folder / "revisions" / "r3" / name).write_bytes(b"%PDF-1.7 never listed")
        (folder / name).unlink()
        (folder / name).write_bytes(b"%PDF-1.7 never listed")
    run = fir("repair", "--outputs", legacy)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"supprimé : {folder / 'revisions' / 'r3'}" in run.stdout
    assert assert_consistent(legacy, REGION, YEAR) == [1, 2]


def test_a_tree_whose_file_was_altered_is_refused_with_exit_3_and_nothing_imported(legacy: Path):
    folder = legacy / REGION / str(YEAR)
    damaged = folder / "revisions" / "r1" / f"fir-{REGION}-{YEAR}-archive.pdf"
    damaged.write_bytes(damaged.read_bytes()[:-10])
    run = fir("repair", "--outputs", legacy)
    assert run.returncode == 3, run.stdout + run.stderr
    assert str(damaged) in run.stderr and "absent ou altéré" in run.stderr and "sauvegarde" in run.stderr
    assert "Traceback" not in run.stderr
    assert store.open_catalogue(legacy).history(REGION, YEAR) is None
    assert _manifest(legacy)["revisions"][0]["revision"] == 1  # the tree is left as it was


def test_the_next_build_imports_the_tree_and_publishes_the_next_revision(legacy: Path):
    run = fir(
        "build", "--region", REGION, "--year", YEAR, "--outputs", legacy, "--force", "--reason", "nouvelle mise en page"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "révision 3" in run.stdout
    assert assert_consistent(legacy, REGION, YEAR) == [1, 2, 3]
