"""A publishing process killed (SIGKILL) at each instant of a publication, on SQLite and on PostgreSQL:
the catalogue holds the state before or after it, `fir repair` (or the next run) leaves every committed
file with its SHA-256, the views equal to the catalogue and nothing temporary, and the next publication
takes the next number. Also: two processes publishing through PostgreSQL at once."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.edition.publish import failpoints, input_versions, store, views
from flows.edition.publish.manifest import files_of
from flows.paths import PROJECT_ROOT
from tests.helpers import fir
from tests.store_child import REGION, YEAR

BEFORE_COMMIT = {"object-written", "objects-written", "in-transaction"}


def _child(outputs: Path, tag: str, failpoint: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    environment.pop(failpoints.VARIABLE, None)
    if failpoint:
        environment[failpoints.VARIABLE] = failpoint
    command = [sys.executable, "-m", "tests.store_child", str(outputs), tag]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=environment, cwd=PROJECT_ROOT)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_consistent(outputs: Path, region: str = REGION, year: int = YEAR) -> list[int]:
    """The store's invariants; the committed revision numbers (drafts and rejected ones included)."""
    catalogue = store.open_catalogue(outputs)
    every, history = catalogue.history(region, year, statuses=None), catalogue.history(region, year)
    assert every is not None and history is not None
    numbers = [e["revision"] for e in every["revisions"]]
    assert numbers == list(range(1, len(numbers) + 1))  # no gap, no duplicate
    folder = outputs / region / str(year)
    referenced = set()
    for entry in every["revisions"]:
        for file in files_of(entry).values():
            assert _sha(folder / ".objects" / file["sha256"]) == file["sha256"]
            referenced.add(file["sha256"])
        if entry["status"] == "draft":  # the reviewers' copy, and nothing of it in the public views
            assert _sha(folder / entry["draft"]["file"]) == entry["draft"]["sha256"]
    for entry in history["revisions"]:
        for file in views.published_files(entry).values():
            assert _sha(folder / file["file"]) == file["sha256"]
    if history["revisions"]:  # the current view is the latest publication
        for file in views.published_files(history["revisions"][-1]).values():
            assert _sha(folder / Path(file["file"]).name) == file["sha256"]
    assert (folder / "manifest.json").read_bytes() == views.manifest_json(history)
    kept_inputs = input_versions.referenced(folder)  # the files of the versions of the inputs builds read
    assert all(_sha(folder / ".objects" / digest) == digest for digest in kept_inputs)
    assert {p.name for p in (folder / ".objects").iterdir()} == referenced | kept_inputs
    published = {f"r{e['revision']}" for e in history["revisions"]}
    assert ({p.name for p in (folder / "revisions").iterdir()} if published else set()) == published
    pending = {f"r{e['revision']}" for e in every["revisions"] if e["status"] == "draft"}
    assert ({p.name for p in (folder / "projets").iterdir()} if pending else set()) == pending
    leftovers = [p for p in folder.rglob("*") if ".tmp-" in p.name or ".part" in p.name]
    assert not leftovers
    return numbers


@pytest.mark.parametrize("point", failpoints.POINTS)
def test_a_publication_killed_at_any_instant_leaves_before_or_after_and_the_next_one_works(
    catalogue_backend: str, tmp_path: Path, point: str
):
    outputs = tmp_path / "outputs"
    first = _child(outputs, "a")
    assert first.returncode == 0 and first.stdout.strip() == "1", first.stderr
    killed = _child(outputs, "b", failpoint=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    committed = [e["revision"] for e in store.open_catalogue(outputs).history(REGION, YEAR)["revisions"]]
    assert committed == ([1] if point in BEFORE_COMMIT else [1, 2])
    repair = fir("repair", "--outputs", outputs)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    assert assert_consistent(outputs) == committed
    following = _child(outputs, "c")  # the killed run held the edition's lock: it must have been released
    assert following.returncode == 0, following.stderr
    assert following.stdout.strip() == str(len(committed) + 1)
    assert assert_consistent(outputs) == [*committed, len(committed) + 1]


def test_a_killed_publication_recovers_at_the_start_of_the_next_run_without_repair(tmp_path: Path):
    outputs = tmp_path / "outputs"
    assert _child(outputs, "a").returncode == 0
    assert _child(outputs, "b", failpoint="view-revision").returncode == -signal.SIGKILL
    folder = outputs / REGION / str(YEAR)
    assert (folder / f"fir-{REGION}-{YEAR}.pdf").read_bytes().startswith(b"%PDF-1.7 a r1")  # stale view
    following = _child(outputs, "c")
    assert following.returncode == 0 and following.stdout.strip() == "3", following.stderr
    assert assert_consistent(outputs) == [1, 2, 3]


def test_two_processes_publishing_one_edition_through_postgresql_get_consecutive_revisions(
    postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FIR_DATABASE_URL", postgres_database)
    outputs = tmp_path / "outputs"
    start = str(time.time() + 4)  # both children import, then start publishing at the same instant
    command = [sys.executable, "-m", "tests.store_child", str(outputs)]
    env = {**os.environ, "FIR_START_AT": start}
    runs = [
        subprocess.Popen([*command, tag], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for tag in ("x", "y")
    ]
    numbers = sorted(int(run.communicate(timeout=120)[0]) for run in runs)
    assert [run.returncode for run in runs] == [0, 0]
    assert numbers == [1, 2]
    assert assert_consistent(outputs) == [1, 2]
    history = store.open_catalogue(outputs).history(REGION, YEAR)
    assert sorted(e["reason"] for e in history["revisions"]) == ["x", "y"]  # nothing lost


def test_a_real_build_killed_after_its_commit_is_followed_by_the_next_revision(inputs_copy: Path, tmp_path: Path):
    """The wedge of the issue, with `fir build` itself: killed after the commit, before any view."""
    outputs = tmp_path / "outputs"
    env = {**os.environ, failpoints.VARIABLE: "committed"}
    command = [sys.executable, "-m", "flows.cli", "build", "--region", REGION, "--year", str(YEAR)]
    # Its own process group: Prefect's temporary API server, a child of the killed command, is orphaned
    # by the kill and would keep running (and keep the output pipes open); it is stopped with the group.
    killed = subprocess.Popen(
        [*command, "--inputs", str(inputs_copy), "--outputs", str(outputs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    try:
        killed.wait(timeout=600)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(killed.pid, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert not (outputs / REGION / str(YEAR) / "manifest.json").exists()
    again = fir("build", "--region", REGION, "--year", YEAR, "--inputs", inputs_copy, "--outputs", outputs)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Données inchangées depuis le projet 1" in again.stdout  # the commit was kept
    assert assert_consistent(outputs) == [1]
    forced = fir(
        "build", "--region", REGION, "--year", YEAR, "--inputs", inputs_copy, "--outputs", outputs,
        "--force", "--reason", "mise en page",
    )  # fmt: skip
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "révision 2" in forced.stdout
    assert assert_consistent(outputs) == [1, 2]


def test_a_real_build_publishes_into_postgresql_when_the_agency_provides_one(
    postgres_database: str, inputs_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FIR_DATABASE_URL", postgres_database)
    outputs = tmp_path / "outputs"
    run = fir("build", "--region", REGION, "--year", 2018, "--inputs", inputs_copy, "--outputs", outputs)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "catalogue : postgresql+psycopg://fir@127.0.0.1:" in run.stdout
    assert not list(outputs.glob("catalogue.sqlite3*"))  # the catalogue is the server's, not a file
    assert assert_consistent(outputs, REGION, 2018) == [1]
    every = store.open_catalogue(outputs).history(REGION, 2018, statuses=None)
    assert every["revisions"][0]["figures"]["revenue.total"]
