"""Test helpers: turn an edition's CSV files into the workbook a user would export from Excel."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import Workbook

from flows import paths
from flows.edition.charts.data import DrawnChart, chart_data
from flows.edition.compute.figures import Figures
from flows.edition.french import parse_number
from flows.edition.ingest.files import InputFile
from flows.edition.ingest.snapshot import Edition, Snapshot
from flows.edition.publish.record import Revision


def csv_to_xlsx(folder: Path, numbers_as_numbers: bool = True) -> Path:
    """Replace every <table>.csv of `folder` by one sheet of figures.xlsx; numeric cells as numbers."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for path in sorted(folder.glob("*.csv")):
        sheet = workbook.create_sheet(path.stem)
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle, delimiter=";"):
                sheet.append([_cell(value) if numbers_as_numbers else value for value in row])
                for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                    if numbers_as_numbers and isinstance(cell.value, (int, float)):
                        decimals = parse_number(value)[1]
                        cell.number_format = "#,##0" + ("." + "0" * decimals if decimals else "")
        path.unlink()
    target = folder / "figures.xlsx"
    workbook.save(target)
    return target


def _cell(value: str):
    try:
        number, decimals = parse_number(value)
    except ValueError:
        return value if value != "" else None
    return int(number) if decimals == 0 else float(number)  # Excel stores numbers, formats show decimals


REGION = "hauts-de-france"
# The published brochures as text (shared/ beside the project's folder, in a clone as in CI): the truth.
SEEDS = paths.PROJECT_ROOT.parent / "shared" / "seeds"
# Debian's Chromium, driven by Playwright (which cannot download a browser here), with nothing reaching out.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def move_100_000_to_investments(inputs: Path) -> None:
    """The tests' correction of 2024: 100 000 € move from one thematic to investments (printed shares kept)."""
    path = inputs / REGION / "2024" / "thematics.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("€;115 072 012;21,4;115 M€", "€;114 972 012;21,4;115 M€")
    text = text.replace("€;153 285 611;28,5;153,3 M€", "€;153 385 611;28,5;153,3 M€")
    path.write_text(text, encoding="utf-8")


def fir(*args: object, timeout: int = 600) -> subprocess.CompletedProcess:
    """The `fir` command as a user types it, in a child process."""
    command = [sys.executable, "-m", "flows.cli", *(str(a) for a in args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def build_command(
    year: int, outputs: Path, inputs: Path | None = None, reason: str | None = None, region: str = REGION
) -> list[str]:
    """The `fir build` command line, for tests that start it themselves (e.g. two at once)."""
    args: list[object] = ["build", "--region", region, "--year", year, "--outputs", outputs]
    if inputs is not None:
        args += ["--inputs", inputs]
    if reason is not None:
        args += ["--reason", reason]
    return [sys.executable, "-m", "flows.cli", *(str(a) for a in args)]


# Every build makes a draft that someone else approves (four-eyes rule): the tests' two people, as the
# command line knows them (the system user, which `getpass` reads from LOGNAME first).
EDITOR, APPROVER = "redaction-tests", "approbation-tests"


def fir_build(
    year: int,
    outputs: Path,
    inputs: Path | None = None,
    reason: str | None = None,
    region: str = REGION,
    env: dict[str, str] | None = None,
    approve: bool = True,
) -> subprocess.CompletedProcess:
    """`fir build`, failing the test on a non-zero exit, then (with `approve`) `fir approve` of the draft it
    made, by another person: what a brochure takes to be published. `env`: the child's whole environment
    (default: ours)."""
    base = dict(env if env is not None else os.environ)
    run = subprocess.run(
        build_command(year, outputs, inputs, reason, region),
        capture_output=True,
        text=True,
        timeout=600,
        env={**base, "LOGNAME": EDITOR},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    built = re.search(r"— révision (\d+) \(", run.stdout)
    if approve and built:
        approved = approve_draft(region, year, int(built.group(1)), outputs, base)
        run.stdout += approved.stdout
    return run


def approve_draft(
    region: str, year: int, number: int, outputs: Path, env: dict[str, str] | None = None, comment: str = "relu"
) -> subprocess.CompletedProcess:
    """`fir approve` by the tests' approver, failing the test on a non-zero exit."""
    command = [sys.executable, "-m", "flows.cli", "approve", region, str(year), str(number), "--comment", comment]
    command += ["--outputs", str(outputs)]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env={**(env or os.environ), "LOGNAME": APPROVER}
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def approve_in_process(outputs: Path, region: str, year: int, number: int) -> None:
    """Approve a draft made by a flow called in this process (launched_by=EDITOR)."""
    from flows.edition.publish import store
    from flows.portal.signoff import sign_off

    sign_off(store.open_catalogue(outputs), region, year, number, True, APPROVER, "tests", "relu")


def input_file(path: Path, source: str | None = None) -> InputFile:
    """A file as the snapshot reads it (bytes and checksum), named `source` in messages."""
    data = path.read_bytes()
    return InputFile(source or path.name, data, hashlib.sha256(data).hexdigest())


def brochure_html(edition: Edition, revision: Revision | None = None) -> str:
    """The brochure's HTML for an edition (no charts), through the same `prepare` as a build."""
    from flows.edition.prepare import prepare
    from flows.edition.render.context import build_context
    from flows.edition.render.html import render_html

    return render_html(build_context(edition, prepare(Snapshot(edition)), {}, revision), paths.TEMPLATES_DIR)


def draw_charts(edition: Edition, figures: Figures) -> dict[str, DrawnChart]:
    """The edition's charts as the flow's `chart` step gives them to the templates (SVG in a data: URL),
    without Prefect."""
    from flows.edition.charts import draw, svg

    svg.register_fonts(paths.FONTS_DIR)
    drawn = {}
    for key, data in chart_data(figures):
        chart = draw.build(key, data, edition.meta.primary)
        drawn[key] = DrawnChart(chart.key, chart.alt, chart.width_cm, svg.svg_data_uri(svg.chart_svg(chart)))
    return drawn


def children_of(pid: int) -> list[int]:
    """The processes `pid` started (Linux: /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def gone(pids: list[int], within: float = 10.0) -> bool:
    """Whether every process of `pids` has ended within `within` seconds."""
    deadline = time.monotonic() + within
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
