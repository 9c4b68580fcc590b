"""`fir gc` frees what no current revision needs — unreferenced and temporary files of the store, old or
excess Prefect results — and nothing else, then says how much disk the store uses."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from flows.edition.publish import gc, store
from tests.helpers import fir
from tests.store_child import REGION, YEAR
from tests.test_store_faults import _child, assert_consistent

DAY = 86400.0


def _result(folder: Path, name: str, size: int, age_days: float) -> Path:
    path = folder / name
    path.write_bytes(b"r" * size)
    stamp = time.time() - age_days * DAY
    os.utime(path, (stamp, stamp))
    return path


def test_prune_keeps_needed_and_recent_results_and_removes_old_then_oldest_beyond_the_size(tmp_path: Path):
    folder = tmp_path / "storage"
    folder.mkdir()
    needed = _result(folder, "needed", 100, 90)
    old = _result(folder, "old", 100, 40)
    middle = _result(folder, "middle", 300, 10)
    newer = _result(folder, "newer", 300, 5)
    recent = _result(folder, "recent", 5000, 0.01)  # younger than an hour: a running build's
    pruned = gc.prune_results(folder, {"needed"}, max_age_s=30 * DAY, max_bytes=5500)
    assert pruned.removed == [old, middle]  # too old; then oldest first until under 5 500 bytes
    assert pruned.freed == 400 and pruned.files == 5 and pruned.size == 5800
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in (needed, newer, recent))


def test_prune_is_bounded_and_ignores_a_missing_folder(tmp_path: Path):
    folder = tmp_path / "storage"
    folder.mkdir()
    for n in range(5):
        _result(folder, f"r{n}", 10, 40)
    assert len(gc.prune_results(folder, set(), 30 * DAY, 10**9, limit=2).removed) == 2
    assert gc.prune_results(tmp_path / "absent", set(), 30 * DAY, 0).files == 0


def test_fir_gc_quarantines_unreferenced_files_removes_them_after_the_delay_and_reports_the_disk_used(
    tmp_path: Path,
):
    outputs = tmp_path / "outputs"
    assert _child(outputs, "a").returncode == 0
    assert _child(outputs, "b").returncode == 0  # records Prefect result "result-b" as needed by revision 2
    folder = outputs / REGION / str(YEAR)
    orphan = folder / ".objects" / ("0" * 64)
    orphan.write_bytes(b"x" * 1000)
    leftover = folder / ".objects" / ".tmp-0000000000000000.4242"
    leftover.write_bytes(b"half")
    storage = tmp_path / "prefect-results"
    storage.mkdir()
    kept_old = _result(storage, "result-b", 100, 90)
    stale = _result(storage, "result-a", 100, 90)  # revision 1's: no current revision needs it
    fresh = _result(storage, "fresh", 100, 1)
    run = fir_with(
        {"PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(storage)}, "gc", "--outputs", outputs, "--max-age-days", 30
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert not orphan.exists() and not leftover.exists() and not stale.exists()
    assert kept_old.exists() and fresh.exists()
    assert assert_consistent(outputs) == [1, 2]  # every revision kept
    # The unreferenced object is moved aside with the date, not deleted; the interrupted write is deleted.
    [moment] = (outputs / ".quarantine").iterdir()
    aside = moment / REGION / str(YEAR) / ".objects" / ("0" * 64)
    assert aside.read_bytes() == b"x" * 1000
    assert f"{REGION} {YEAR} : " in run.stdout and "mis en quarantaine : 1 fichier(s)" in run.stdout
    assert f"Quarantaine ({outputs / '.quarantine'}) : 1 fichier(s) gardé(s) ; les premiers seront supprimés" in (
        run.stdout
    )
    assert f"Résultats Prefect ({storage}) : 2 fichier(s)" in run.stdout and "supprimé : 1 (" in run.stdout
    assert "Place occupée en tout : " in run.stdout
    again = fir_with({"PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(storage)}, "gc", "--outputs", outputs)
    assert again.returncode == 0 and "mis en quarantaine" not in again.stdout and "supprimé : 0 (" in again.stdout
    assert aside.is_file()  # within the delay: kept
    # 31 days later (the folder's date moved back from outside), `fir gc` deletes it.
    when = dt.datetime.strptime(moment.name, "%Y%m%dT%H%M%SZ") - dt.timedelta(days=31)
    moment.rename(moment.with_name(when.strftime("%Y%m%dT%H%M%SZ")))
    later = fir_with({"PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(storage)}, "gc", "--outputs", outputs)
    assert later.returncode == 0, later.stdout + later.stderr
    assert "Quarantaine du " in later.stdout and ": 1 fichier(s) supprimé(s)" in later.stdout
    assert not any((outputs / ".quarantine").iterdir())
    assert assert_consistent(outputs) == [1, 2]


def fir_with(env: dict[str, str], *args: object):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return fir(*args)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_a_build_records_its_prefect_results_so_gc_keeps_what_a_correction_reuses(inputs_copy: Path, tmp_path: Path):
    outputs = tmp_path / "outputs"
    run = fir("build", "--region", REGION, "--year", YEAR, "--inputs", inputs_copy, "--outputs", outputs)
    assert run.returncode == 0, run.stdout + run.stderr
    needed = store.open_catalogue(outputs).results_needed()
    assert len(needed) >= 5  # prepare, every chart, render-html, every page group
    storage = Path(os.environ["PREFECT_HOME"]) / "storage"
    assert needed <= {p.name for p in storage.iterdir()}
