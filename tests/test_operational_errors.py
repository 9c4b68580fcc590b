"""Operational trouble is not an input error: a located French message, exit code 3, no traceback, and
nothing already published changes. Real conditions: a lock held by another process, a file where a folder
should be, a full disk (a 300 kB tmpfs mounted for the test) and a file system remounted read-only."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from flows.paths import PROJECT_ROOT
from tests.conftest import REGION
from tests.helpers import fir

EXIT_OPERATIONAL = 3


def _build(inputs: Path, outputs: Path, *extra: object) -> subprocess.CompletedProcess:
    return fir("build", "--region", REGION, "--year", 2024, "--inputs", inputs, "--outputs", outputs, *extra)


HOLD_THE_EDITION = """
import sys, time
from pathlib import Path
from flows.edition.publish import store
with store.open_catalogue(Path(sys.argv[1])).lock("hauts-de-france", 2024, timeout=5):
    print("held", flush=True)
    time.sleep(120)
"""


def test_an_edition_locked_by_another_run_names_the_holder_gives_up_with_exit_3_and_is_taken_over_when_it_dies(
    inputs_copy: Path, tmp_path: Path
):
    outputs = tmp_path / "outputs"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_EDITION, str(outputs)], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        run = _build(inputs_copy, outputs, "--lock-timeout", 1)
        assert run.returncode == EXIT_OPERATIONAL, run.stdout + run.stderr
        who = f"par le processus {holder.pid} sur {socket.gethostname()}, depuis le "
        assert f"Édition en cours de construction {who}" in run.stderr  # said at once, while waiting
        assert "ne s'est pas libérée en 1 s" in run.stderr and "Rien de ce qui était publié n'a changé" in run.stderr
        assert str(outputs / REGION / "2024" / ".lock") in run.stderr
        assert "Traceback" not in run.stderr
        assert not (outputs / REGION / "2024" / "manifest.json").exists()
    finally:
        holder.kill()  # SIGKILL: the holder dies without releasing anything
        holder.wait()
    run = _build(inputs_copy, outputs, "--lock-timeout", 1)  # the dead holder's lock is taken over at once
    assert run.returncode == 0, run.stdout + run.stderr
    assert "en cours de construction" not in run.stderr


def test_outputs_that_is_a_file_is_an_operational_error_naming_it(inputs_copy: Path, tmp_path: Path):
    outputs = tmp_path / "outputs"
    outputs.write_text("pas un dossier", encoding="utf-8")
    run = _build(inputs_copy, outputs)
    assert run.returncode == EXIT_OPERATIONAL, run.stdout + run.stderr
    assert f"{outputs}" in run.stderr and "devrait être un dossier" in run.stderr
    assert "Traceback" not in run.stderr
    assert outputs.read_text(encoding="utf-8") == "pas un dossier"


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 300 kB file system: the brochure (about 350 kB) cannot be written on it."""
    if shutil.which("mount") is None:
        pytest.fail("mount is needed to make a small file system (util-linux)")
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mountpoint)], check=True)
    yield mountpoint
    subprocess.run(["umount", str(mountpoint)], check=True)


def test_a_full_disk_is_an_operational_error_and_leaves_no_half_revision(inputs_copy: Path, tiny_disk: Path):
    outputs = tiny_disk / "outputs"
    run = _build(inputs_copy, outputs)
    assert run.returncode == EXIT_OPERATIONAL, run.stdout + run.stderr
    assert "plus de place sur le disque" in run.stderr and str(outputs) in run.stderr
    assert "Traceback" not in run.stderr
    edition = outputs / REGION / "2024"
    assert not (edition / "manifest.json").exists() and not (edition / f"fir-{REGION}-2024.pdf").exists()
    assert not list(edition.rglob("*.part")), list(edition.rglob("*"))  # nothing left to keep the disk full


def test_an_outputs_folder_that_cannot_be_written_keeps_what_was_published(inputs_copy: Path, tmp_path: Path):
    """Published on a file system that then becomes read-only (a real unwritable folder, even for root):
    a correction exits 3 naming the folder, and the published bytes stay as they were."""
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(disk)], check=True)
    try:
        outputs = disk / "outputs"
        first = _build(inputs_copy, outputs)
        assert first.returncode == 0, first.stdout + first.stderr
        before = {p: p.read_bytes() for p in outputs.rglob("*") if p.is_file()}
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        thematics = inputs_copy / REGION / "2024" / "thematics.csv"
        thematics.write_text(thematics.read_text(encoding="utf-8").replace("Parcours Cancer", "Parcours cancer"))
        run = _build(inputs_copy, outputs, "--reason", "correction d'un libellé")
        assert run.returncode == EXIT_OPERATIONAL, run.stdout + run.stderr
        assert "pas le droit d'écrire" in run.stderr and str(outputs) in run.stderr
        assert "Traceback" not in run.stderr
        assert {p: p.read_bytes() for p in outputs.rglob("*") if p.is_file()} == before
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_an_unreachable_database_is_an_operational_error_that_never_shows_the_password(
    inputs_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    with socket.socket() as probe:  # a local port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("FIR_DATABASE_URL", f"postgresql+psycopg://fir:s3cr3t-pw@127.0.0.1:{port}/fir")
    outputs = tmp_path / "outputs"
    for run in (_build(inputs_copy, outputs), fir("repair", "--outputs", outputs), fir("gc", "--outputs", outputs)):
        assert run.returncode == EXIT_OPERATIONAL, run.stdout + run.stderr
        assert "la base du catalogue est inaccessible" in run.stderr and f"127.0.0.1:{port}/fir" in run.stderr
        assert "s3cr3t-pw" not in run.stdout + run.stderr and "***" in run.stderr
        assert "Traceback" not in run.stderr
