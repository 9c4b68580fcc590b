"""A build whose inputs are unchanged is decided before anything heavy is imported (flows/unchanged.py): the
same words, exit code and audit line as the flow's own no-change run, the same recovery first; a forced
build, changed inputs or an edition held by another run go to the full build as before."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import sqlalchemy as sa

from flows import paths, unchanged
from flows.edition.french import format_time
from flows.edition.ingest import snapshot
from flows.edition.ingest.checksums import edition_checksums
from flows.edition.publish import database, objects, revisions, store
from flows.notices import audit
from flows.notices.tables import audit_log
from tests.conftest import REGION
from tests.helpers import build_command, fir, fir_build

YEAR = 2018  # the smaller real edition: its builds are the shorter
HEAVY = ("prefect", "weasyprint", "plotnine", "matplotlib", "polars")


# -- the inputs' checksums, without parsing them -----------------------------------------------------------


@pytest.mark.parametrize("year", [2018, 2024])
def test_the_checksums_read_without_parsing_are_the_snapshots(year: int):
    expected = snapshot.read_snapshot(paths.INPUTS_DIR, REGION, year).edition.checksums
    assert edition_checksums(paths.INPUTS_DIR, REGION, year) == expected
    assert f"{REGION}/{year}/edition.toml" in expected and "_reference/missions.csv" in expected
    assert len(expected) > 30  # tables, texts and the missions list


def test_the_checksums_of_a_workbook_a_ledger_and_a_logo_are_the_snapshots(inputs_copy: Path):
    from flows.edition.authoring.workbook import workbook_bytes
    from tests.test_ledger_edition import _write_ledger

    folder = inputs_copy / REGION / "2024"  # the figures in figures.xlsx, a logo named by edition.toml
    book = workbook_bytes(snapshot.read_edition(inputs_copy, REGION, 2024), None, inputs_copy)
    for path in folder.glob("*.csv"):
        path.unlink()
    (folder / "figures.xlsx").write_bytes(book)
    (folder / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "utf-8")
    meta = folder / "edition.toml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("[brand]\n", '[brand]\nlogo = "logo.svg"\n'), "utf-8")
    _write_ledger(inputs_copy / REGION / "2018")  # a ledger and its nomenclature beside the tables
    for year, expected_files in ((2024, ("figures.xlsx", "logo.svg")), (2018, ("ledger.csv", "nomenclature.csv"))):
        expected = snapshot.read_edition(inputs_copy, REGION, year).checksums
        assert edition_checksums(inputs_copy, REGION, year) == expected
        assert {f"{REGION}/{year}/{name}" for name in expected_files} <= set(expected)


def test_what_the_snapshot_would_refuse_is_left_to_it(inputs_copy: Path):
    folder = inputs_copy / REGION / str(YEAR)
    (folder / "texts" / "notes.txt").write_text("brouillon", encoding="utf-8")  # not a Markdown text
    assert edition_checksums(inputs_copy, REGION, YEAR) is None
    (folder / "texts" / "notes.txt").unlink()
    (inputs_copy / "_reference" / "missions.csv").unlink()  # the national missions list missing
    assert edition_checksums(inputs_copy, REGION, YEAR) is None
    assert edition_checksums(inputs_copy, REGION, 1999) is None  # no such edition


def test_a_current_catalogue_is_opened_without_alembic_whose_head_it_reads_from_the_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS))
    assert database.script_head() == ScriptDirectory.from_config(config).get_current_head()


# -- fir build with a published edition ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def published_2018(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Inputs and outputs of the 2018 edition built once and approved (revision 1 published)."""
    work = tmp_path_factory.mktemp("published")
    inputs, outputs = work / "inputs", work / "outputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    fir_build(YEAR, outputs, inputs)
    return inputs, outputs


@pytest.fixture
def published(published_2018: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """This test's own copy of the published edition."""
    inputs, outputs = tmp_path / "inputs", tmp_path / "outputs"
    for source, target in zip(published_2018, (inputs, outputs), strict=True):
        shutil.copytree(source, target)
    return inputs, outputs


def _audit_lines(outputs: Path) -> list[dict]:
    engine = store.open_catalogue(outputs).engine
    with engine.connect() as connection:
        rows = connection.execute(sa.select(audit_log).order_by(audit_log.c.id)).mappings().all()
    return [{k: v for k, v in row.items() if k not in ("id", "at")} for row in rows]


# Runs `fir build` in a fresh interpreter, then says which heavy libraries it imported.
_BUILD_AND_LIST = """
import json, sys
from flows import cli
code = cli.main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.stderr)
"""


def _build_and_list(*args: object) -> tuple[int, str, list[str], str]:
    """`fir build …` in a child interpreter: exit code, stdout, the heavy modules it imported, stderr."""
    script = _BUILD_AND_LIST.format(heavy=set(HEAVY))
    command = [sys.executable, "-c", script, *(str(a) for a in build_command(YEAR, *args)[3:])]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    *said, last = run.stderr.rstrip("\n").split("\n")
    found = json.loads(last)
    return found["code"], run.stdout, found["heavy"], "\n".join(said)


def test_an_unchanged_build_imports_nothing_heavy_and_says_and_records_what_the_flow_does(published):
    inputs, outputs = published
    code, out, heavy, err = _build_and_list(outputs, inputs, "correction sans changement")
    assert (code, heavy) == (0, []), err
    last = store.open_catalogue(outputs).history(REGION, YEAR, statuses=None)["revisions"][-1]
    message = (
        f"données inchangées depuis la révision 1 du {format_time(last['published_at'])} : aucune nouvelle révision"
    )
    pdf = outputs / REGION / str(YEAR) / f"fir-{REGION}-{YEAR}.pdf"
    # the report the revision recorded, said again (its warnings included: the same inputs, the same report)
    assert any(line.startswith("Bilan :") for line in last["report"])
    assert out == "\n".join(last["report"]) + f"\n\nD{message[1:]}. Publication actuelle : {pdf}\n"
    fast = _audit_lines(outputs)[-1]
    who, where = audit.system_user(), audit.command_line_address()
    assert fast == {
        "actor": who,
        "address": where,
        "action": audit.BUILD,
        "target": f"{REGION} {YEAR}",
        "outcome": audit.OK,
        "detail": message,
    }
    # the flow's own no-change run (as the service and the schedule run it): the same words and line
    from flows.brochure import build_brochure

    result = build_brochure(region=REGION, year=YEAR, inputs=str(inputs), outputs=str(outputs), launched_by=who)
    assert (result.published, result.revision, result.message, result.pdf_path) == (False, 1, message, pdf)
    assert _audit_lines(outputs)[-1] == fast
    assert [e["revision"] for e in store.open_catalogue(outputs).history(REGION, YEAR, statuses=None)["revisions"]] == [
        1
    ]


def test_a_forced_build_and_changed_inputs_are_built_in_full(published):
    inputs, outputs = published
    forced = fir(*build_command(YEAR, outputs, inputs, "mise en page")[3:], "--force")
    assert forced.returncode == 0 and "— révision 2 (" in forced.stdout, forced.stdout + forced.stderr
    missions = inputs / REGION / str(YEAR) / "missions.csv"
    missions.write_text(missions.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # a byte more
    refused = _build_and_list(outputs, inputs)  # published already: a correction says why, as before
    assert refused[0] == 2 and "une nouvelle révision doit dire pourquoi" in refused[3]
    assert "prefect" in refused[2]  # decided by the full build
    assert _audit_lines(outputs)[-1]["outcome"] == audit.REFUSED
    code, out, heavy, err = _build_and_list(outputs, inputs, "ligne ajoutée")
    assert code == 0 and "— révision 3 (" in out and "prefect" in heavy, err


def test_an_edition_held_by_another_run_is_left_to_the_full_build_which_waits_and_says_so(published):
    inputs, outputs = published
    catalogue = store.open_catalogue(outputs)
    before = _audit_lines(outputs)
    with catalogue.lock(REGION, YEAR):
        early = unchanged.decide_early(inputs, outputs, REGION, YEAR, None, revisions.MANUAL, "test", "ici")
        assert early.unchanged is None and _audit_lines(outputs) == before  # nothing decided, nothing written
        waited = fir(*build_command(YEAR, outputs, inputs)[3:], "--lock-timeout", "1")
    assert waited.returncode == 3, waited.stdout + waited.stderr
    assert "attente de sa fin" in waited.stderr and "Traceback" not in waited.stderr


def test_an_unchanged_build_still_recovers_what_an_interrupted_run_left(published):
    inputs, outputs = published
    folder = outputs / REGION / str(YEAR)
    left = folder / objects.OBJECTS / f"{objects.TEMPORARY}interrompu"
    left.write_bytes(b"moitie d'un fichier")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        done = unchanged.build_from_command_line(REGION, YEAR, inputs, outputs, None, False, None)
    assert done.unchanged is not None and "aucune nouvelle révision" in out.getvalue()
    assert f"Fichier laissé par une exécution interrompue, supprimé : {left}" in err.getvalue()
    assert not left.exists()
    lines = _audit_lines(outputs)
    forced = unchanged.decide_early(inputs, outputs, REGION, YEAR, None, revisions.MANUAL, "test", "ici", force=True)
    assert forced == unchanged.EarlyDecision() and _audit_lines(outputs) == lines  # left to the full build


def test_a_first_build_is_left_to_the_full_build(inputs_copy: Path, tmp_path: Path):
    outputs = tmp_path / "outputs"
    early = unchanged.decide_early(inputs_copy, outputs, REGION, YEAR, None, revisions.MANUAL, "test", "ici")
    assert early.unchanged is None and not outputs.exists()  # no catalogue made by the decision


def test_a_run_that_builds_nothing_points_to_what_stands_on_disk(tmp_path: Path):
    """No « Publication actuelle » before anything is published: the draft waiting for its sign-off, or nothing."""
    assert unchanged.standing(tmp_path, REGION, YEAR, 1) == "Rien n'est encore publié."
    draft = paths.draft_path(tmp_path, REGION, YEAR, 1)
    draft.parent.mkdir(parents=True)
    draft.write_bytes(b"%PDF-1.7")
    assert unchanged.standing(tmp_path, REGION, YEAR, 1) == (
        f"Rien n'est encore publié ; projet en attente d'approbation : {draft}"
    )
    published = paths.brochure_path(tmp_path, REGION, YEAR)
    published.write_bytes(b"%PDF-1.7")
    assert unchanged.standing(tmp_path, REGION, YEAR, 1) == f"Publication actuelle : {published}"
