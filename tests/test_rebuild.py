"""`fir rebuild` and `fir export` as a user types them: every revision of an edition (a first publication and a
correction carrying an erratum) made again from the store alone, after its inputs folder is deleted, gives the
SHA-256 the catalogue recorded for each of its files; a version written back to a folder is the files read."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

from flows.edition.publish import store
from tests.helpers import fir, fir_build, move_100_000_to_investments

REGION, YEAR = "hauts-de-france", 2024


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_revision_is_rebuilt_from_the_store_alone_byte_for_byte(inputs_copy: Path, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    fir_build(YEAR, outputs, inputs_copy)  # r1, approved
    move_100_000_to_investments(inputs_copy)
    fir_build(YEAR, outputs, inputs_copy, reason="Correction des montants", approve=False)  # r2, a draft
    original = {p.relative_to(inputs_copy).as_posix(): p.read_bytes() for p in inputs_copy.rglob("*") if p.is_file()}
    shutil.rmtree(inputs_copy)  # nothing but the store from now on

    history = store.open_catalogue(outputs).history(REGION, YEAR, statuses=None)
    assert history is not None
    entries = {e["revision"]: e for e in history["revisions"]}
    assert (entries[1]["input_version"], entries[2]["input_version"]) == (1, 2)
    assert entries[1]["earlier_inputs"] == {"2018": 1}
    assert entries[2]["erratum"]  # the correction carries its erratum, which the rebuild must print again
    for number, entry in entries.items():
        into = tmp_path / f"rebuilt-r{number}"
        run = fir("rebuild", REGION, YEAR, number, "--into", into, "--outputs", outputs)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Chaque fichier est identique, octet pour octet, à celui enregistré." in run.stdout
        roles = {"pdf", "archive", "draft", "print", "web", "data"}
        assert roles <= set(entry)
        for role in roles:
            recorded = entry[role]  # type: ignore[literal-required]
            rebuilt = into / "/".join(recorded["file"].split("/")[2:])
            assert _digest(rebuilt) == recorded["sha256"], (number, role)

    exported = tmp_path / "exported"
    run = fir("export", REGION, YEAR, exported, "--version", 1, "--outputs", outputs)
    assert run.returncode == 0, run.stderr
    assert "Version 1 des fichiers d'entrée de hauts-de-france 2024" in run.stdout
    files = {p.relative_to(exported).as_posix(): p.read_bytes() for p in exported.rglob("*") if p.is_file()}
    assert files and all(path.startswith((f"{REGION}/{YEAR}/", "_reference/")) for path in files)
    thematics = f"{REGION}/{YEAR}/thematics.csv"
    assert files[thematics] != original[thematics]  # version 1: before the correction
    assert {p: d for p, d in files.items() if p != thematics} == {p: original[p] for p in files if p != thematics}


def test_a_revision_or_version_that_does_not_exist_is_refused_in_french(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    store.open_catalogue(outputs)
    run = fir("rebuild", REGION, YEAR, 4, "--into", tmp_path / "x", "--outputs", outputs)
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "Impossible de reconstruire : hauts-de-france 2024 n'a pas de révision 4 (révisions : aucune)."
    )
    run = fir("export", REGION, YEAR, tmp_path / "x", "--version", 3, "--outputs", outputs)
    assert (run.returncode, run.stderr.strip()) == (
        2,
        "Refusé : l'édition hauts-de-france 2024 n'a pas de version 3 de ses fichiers d'entrée.",
    )
    assert not (tmp_path / "x").exists()


def test_the_reviewers_marked_copy_is_the_same_bytes_each_time_it_is_made(tmp_path: Path) -> None:
    """The marked copy is part of what `fir rebuild` compares: no identifier drawn at random or from the clock."""
    import pikepdf

    from flows.edition.render.draft_mark import mark_draft

    document = pikepdf.new()
    document.add_blank_page(page_size=(595, 842))
    document.save(tmp_path / "one.pdf", deterministic_id=True)
    brochure = (tmp_path / "one.pdf").read_bytes()
    first = mark_draft(brochure)
    time.sleep(1.1)  # a second later: an identifier taken from the clock would change
    assert mark_draft(brochure) == first and first != brochure
