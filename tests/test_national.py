"""The national batch: several synthetic regions built concurrently, each making its draft for sign-off."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.make_editions import make_editions
from flows import paths
from flows.national import eta_text


def _published(outputs: Path, editions: list[tuple[str, int]]) -> None:
    """Each edition's first draft is stored, marked for review, and nothing is public before sign-off."""
    for region, year in editions:
        draft = paths.draft_path(outputs, region, year, 1)
        assert draft.read_bytes().startswith(b"%PDF-"), draft
        manifest = json.loads((draft.parents[2] / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["revisions"] == []
        assert "(données synthétiques)" in manifest["region_name"]


def test_eta_text():
    assert eta_text(0, 18, 0.0) == "0/18 éditions"
    assert eta_text(6, 18, 30.0) == "6/18 éditions — reste ≈ 60 s"
    assert eta_text(18, 18, 90.0) == "18/18 éditions"


def test_synthetic_editions_are_never_written_into_inputs():
    run = subprocess.run(
        [sys.executable, "bench/make_editions.py", "--out", str(paths.INPUTS_DIR)],
        capture_output=True,
        text=True,
        cwd=paths.PROJECT_ROOT,
    )
    assert run.returncode == 2 and "jamais dans inputs/" in run.stderr


def test_three_regions_built_concurrently_in_threads(tmp_path):
    from flows.national import national_run, task_runner

    editions = make_editions(tmp_path / "inputs", count=3)
    outcomes = national_run.with_options(task_runner=task_runner("thread", 2))(
        inputs=str(tmp_path / "inputs"), outputs=str(tmp_path / "outputs")
    )
    assert [(o.region, o.year, o.revision, o.published) for o in outcomes] == [(r, y, 1, True) for r, y in editions]
    _published(tmp_path / "outputs", editions)


def test_three_regions_built_on_a_dask_local_cluster(tmp_path):
    editions = make_editions(tmp_path / "inputs", count=3)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "national",
            "--runner",
            "dask",
            "--workers",
            "2",
            "--inputs",
            str(tmp_path / "inputs"),
            "--outputs",
            str(tmp_path / "outputs"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "3 édition(s) en" in run.stdout and "brochures/minute" in run.stdout
    _published(tmp_path / "outputs", editions)
    # every build of a national run writes its audit line: who ran `fir national`, from where (issue 24, point 9)
    from flows.edition.publish import store
    from flows.notices import audit

    lines = audit.entries(store.open_catalogue(tmp_path / "outputs").engine, action=audit.BUILD)
    assert sorted(line.target for line in lines) == sorted(f"{r} {y}" for r, y in editions)
    assert {(line.actor, line.outcome) for line in lines} == {(audit.system_user(), audit.OK)}
    assert all(line.address.startswith("ligne de commande, fir national (") for line in lines)
