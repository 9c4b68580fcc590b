"""Running it like an agency: the annual schedule, corrections as revisions, safe publishing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows import paths
from flows.edition.publish import database, revisions, store
from tests.conftest import REGION
from tests.helpers import approve_draft, build_command, fir, fir_build

PARIS = ZoneInfo("Europe/Paris")


def _plain(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def _tree(folder: Path) -> dict[str, str]:
    """Every published file under `folder` with its SHA-256, and the catalogue's history of 2018: what
    'unchanged' is checked on (the database's own files change when a run notes who holds the lock)."""
    tree = {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock" and not p.name.startswith("catalogue.sqlite3")
    }
    engine = database.open_database(folder)  # not the process's cached one: fixtures replace the folder
    try:
        history = store.Catalogue(folder, engine).history(REGION, 2018)
    finally:
        engine.dispose()
    tree["catalogue"] = hashlib.sha256(json.dumps(history, sort_keys=True).encode()).hexdigest()
    return tree


def _correct_mission_2(inputs: Path, new_ae: str = "75 670 274", new_total: str = "303 543 408") -> None:
    """Set mission 2's AE and the AE executed (whatever they are now) in the 2018 inputs."""
    folder = inputs / REGION / "2018"
    missions = folder / "missions.csv"
    text = re.sub(r"^2;€;[\d ]+;", f"2;€;{new_ae};", missions.read_text(encoding="utf-8"), flags=re.M)
    missions.write_text(text, encoding="utf-8")
    execution = folder / "execution.csv"
    text = re.sub(r"^AE;(.*?);€;[\d ]+;", rf"AE;\1;€;{new_total};", execution.read_text(encoding="utf-8"), flags=re.M)
    execution.write_text(text, encoding="utf-8")


# --- schedule ---------------------------------------------------------------------------------------------


def test_annual_deployment_schedule_and_time_zone():
    from flows.deploy import ANNUAL_CRON, deployments

    annual, manual = deployments()
    [schedule] = annual.schedules
    assert schedule.schedule.cron == ANNUAL_CRON == "0 6 15 3 *"
    assert schedule.schedule.timezone == "Europe/Paris"
    assert annual.name == "annuel" and manual.name == "manuel" and not manual.schedules


@pytest.mark.parametrize(
    ("run_time", "year"),
    [
        (dt.datetime(2025, 3, 15, 6, 0, tzinfo=PARIS), 2024),
        (dt.datetime(2025, 1, 1, 0, 30, tzinfo=PARIS), 2024),
        (dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC), 2024),  # already 1 January 2025 in Paris
        (dt.datetime(2024, 12, 31, 22, 30, tzinfo=dt.UTC), 2023),  # still 31 December in Paris
    ],
)
def test_the_scheduled_run_builds_the_year_before_the_run_date_in_paris(run_time, year):
    from flows.deploy import edition_year

    assert edition_year(run_time) == year


def test_a_scheduled_run_builds_every_region_and_records_itself(inputs_copy, tmp_path):
    from flows.deploy import annual_run

    outputs = tmp_path / "outputs"
    built = annual_run(inputs=str(inputs_copy), outputs=str(outputs), run_date="2019-03-15T06:00:00+01:00")
    assert built == [f"{REGION} 2018 : premier projet de l'édition (révision 1)"]
    # a draft, never public: nobody has read it yet
    manifest = json.loads((outputs / REGION / "2018" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["revisions"] == []
    [(region, year, _, entry)] = store.open_catalogue(outputs).drafts()
    assert (region, year, entry["revision"]) == (REGION, 2018, 1)
    assert (entry["trigger"], entry["reason"]) == (revisions.SCHEDULED, "Exécution planifiée annuelle")
    assert entry["launched_by"] == revisions.SCHEDULER


# --- revisions --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_publication(tmp_path_factory) -> Path:
    """2018 published once (revision 1) from an inputs copy; kept aside, never changed by a test."""
    base = tmp_path_factory.mktemp("ops")
    inputs, outputs = base / "inputs", base / "outputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    fir_build(2018, outputs, inputs)
    for name in ("inputs", "outputs"):
        shutil.copytree(base / name, base / "revision-1" / name)
    return base


@pytest.fixture
def published(first_publication) -> tuple[Path, Path]:
    """An inputs copy and an outputs folder where 2018 has been published once (revision 1), as it was
    right after that publication, whatever other tests did: each test may correct, break or publish.
    The folders keep their paths, so that Prefect's cache (keyed on the edition's folder too) serves
    the groups of pages the first publication laid out."""
    for name in ("inputs", "outputs"):
        shutil.rmtree(first_publication / name)
        shutil.copytree(first_publication / "revision-1" / name, first_publication / name)
    return first_publication / "inputs", first_publication / "outputs"


def _page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def _manifest(outputs: Path) -> dict:
    return json.loads((outputs / REGION / "2018" / "manifest.json").read_text(encoding="utf-8"))


def test_first_publication_is_revision_1_with_checksums(published):
    inputs, outputs = published
    [entry] = _manifest(outputs)["revisions"]
    assert entry["revision"] == 1 and entry["reason"] == "Première publication"
    assert (
        entry["inputs"][f"{REGION}/2018/missions.csv"]
        == hashlib.sha256((inputs / REGION / "2018" / "missions.csv").read_bytes()).hexdigest()
    )
    pdf = outputs / REGION / "2018" / entry["pdf"]["file"]
    assert entry["pdf"]["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert (outputs / REGION / "2018" / "fir-hauts-de-france-2018.pdf").read_bytes() == pdf.read_bytes()
    assert entry["code_version"].startswith("0.1.0")


def test_an_unchanged_rerun_creates_nothing_and_says_so(published):
    inputs, outputs = published
    before = _tree(outputs)
    run = fir("build", "--region", REGION, "--year", "2018", "--inputs", str(inputs), "--outputs", str(outputs))
    assert run.returncode == 0
    assert "aucune nouvelle révision" in run.stdout
    assert _tree(outputs) == before


def test_a_correction_needs_a_reason_then_creates_revision_2_with_its_erratum(published):
    inputs, outputs = published
    before = _tree(outputs)
    _correct_mission_2(inputs)
    refused = fir("build", "--region", REGION, "--year", "2018", "--inputs", str(inputs), "--outputs", str(outputs))
    assert refused.returncode == 2 and "--reason" in refused.stderr and "Traceback" not in refused.stderr
    assert _tree(outputs) == before

    run = fir_build(2018, outputs, inputs, reason="correction du montant de la mission 2")
    manifest = _manifest(outputs)
    assert [e["revision"] for e in manifest["revisions"]] == [1, 2]
    second = manifest["revisions"][1]
    assert second["reason"] == "correction du montant de la mission 2"
    erratum = {(e["label"], _plain(e["old"]), _plain(e["new"])) for e in second["erratum"]}
    assert erratum == {
        ("Mission 2 — AE", "75 670 273 €", "75 670 274 €"),
        ("Autorisations d'engagement", "303 543 407 €", "303 543 408 €"),
    }
    assert "Mission 2 — AE : 75 670 273 € → 75 670 274 €" in _plain(run.stdout)
    cached = next(line for line in run.stdout.splitlines() if line.startswith("Reprises du cache"))
    assert "« recettes aux étapes budgétaires »" in cached  # its data did not change (more may come from earlier runs)
    # The erratum goes at the end, so the pages before it keep their numbers: the seven orientations'
    # groups of pages are not laid out again (the figures they do not show did not change); the last group of
    # content is, as the erratum follows it on its last page.
    reused = re.search(r"(\d+) groupes? de pages de la brochure", cached)
    laid_out_again = int(reused.group(1)) if reused else 0
    assert laid_out_again >= 7, cached
    for path, digest in before.items():  # revision 1 is kept intact
        if path.startswith("revisions/r1/") or path.endswith("revisions/r1"):
            assert _tree(outputs)[path] == digest
    text = _plain(
        subprocess.run(
            ["pdftotext", str(outputs / REGION / "2018" / "fir-hauts-de-france-2018.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert "Erratum — révision 2" in text and "correction du montant de la mission 2" in text
    assert "75 670 273 € 75 670 274 €" in text
    first = outputs / REGION / "2018" / manifest["revisions"][0]["pdf"]["file"]
    second_pdf = outputs / REGION / "2018" / "fir-hauts-de-france-2018.pdf"
    pages = [_page_texts(first), _page_texts(second_pdf)]
    assert len(pages[1]) == len(pages[0])  # the erratum shares the last page of content, before the back cover
    assert "Erratum — révision 2" in _plain(pages[1][-2]) and "Erratum" not in _plain("".join(pages[0]))
    first_lines = [next(line.strip() for line in p[-2].splitlines() if line.strip()) for p in pages]
    assert first_lines[0] == first_lines[1], first_lines  # on the page that ended the first edition's content
    sommaires = [{_plain(line).strip() for line in p[1].splitlines() if line.strip()} for p in pages]
    footer = {line for line in sommaires[0] if "|" in line}  # "… FIR 2018 | 2": same page, same footer
    assert sommaires[0] - footer < sommaires[1]  # every entry at the same page number, plus the erratum's
    assert any(line.startswith("ERRATUM") and line.endswith(str(len(pages[1]) - 1)) for line in sommaires[1])


def test_a_run_failing_midway_leaves_published_bytes_unchanged(published, monkeypatch):
    from flows import brochure
    from flows.edition.render import layout

    inputs, outputs = published
    before = _tree(outputs)
    _correct_mission_2(inputs, "75 670 275", "303 543 409")

    def broken_printer(*args, **kwargs):
        raise RuntimeError("panne simulée pendant l'impression")

    monkeypatch.setattr(layout, "print_pdf", broken_printer)  # the binding step (bind-pdf) fails
    with pytest.raises(RuntimeError, match="panne simulée"):
        brochure.build_brochure(region=REGION, year=2018, inputs=str(inputs), outputs=str(outputs), reason="essai")
    assert _tree(outputs) == before


def test_two_concurrent_runs_of_one_edition_end_with_consistent_revisions(published, tmp_path):
    # its own copy of a published edition, in its own folders
    inputs, outputs = tmp_path / "inputs", tmp_path / "outputs"
    for source, target in zip(published, (inputs, outputs), strict=True):
        shutil.copytree(source, target)
    found = [e["revision"] for e in _manifest(outputs)["revisions"]]
    assert found, "the copy holds a published edition"
    new = found[-1] + 1
    _correct_mission_2(inputs, "75 670 276", "303 543 410")
    command = build_command(2018, outputs, inputs, reason="correction concurrente")
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outs
    every = store.open_catalogue(outputs).history(REGION, 2018, statuses=None)
    assert [e["revision"] for e in every["revisions"]] == [*found, new]
    assert sum(f"— révision {new} (" in out for out, _ in outs) == 1  # one built a draft, the other found nothing new
    assert sum("aucune nouvelle révision" in out for out, _ in outs) == 1
    approve_draft(REGION, 2018, new, outputs)
    manifest = _manifest(outputs)
    folder = outputs / REGION / "2018"
    for entry in manifest["revisions"]:
        for variant in ("pdf", "archive"):
            data = (folder / entry[variant]["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry[variant]["sha256"]
    assert (folder / "fir-hauts-de-france-2018.pdf").read_bytes() == (
        folder / f"revisions/r{new}/fir-hauts-de-france-2018.pdf"
    ).read_bytes()
    assert not list(folder.rglob("*.part"))
