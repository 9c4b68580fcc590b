"""The Prefect flow that builds and publishes one edition's brochure. It reads like the job's table
of contents: snapshot → prepare (validate, compute, name the figures) → charts → render HTML → lay out
pages → bind the PDF → publish.

Each task is a thin wrapper over a function of `flows.edition`. Tasks are cached on the content of
their inputs (results persisted by Prefect), so a correction re-runs only the steps it touches.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE, CacheKeyFnPolicy
from prefect.runtime import flow_run

from flows import paths, runtime, steps
from flows.edition.charts.data import DrawnChart, chart_data
from flows.edition.compute import published
from flows.edition.errors import InputError
from flows.edition.ingest.snapshot import Edition, Snapshot, read_snapshot
from flows.edition.prepare import Prepared, prepare
from flows.edition.publish import gc, record, revisions, store
from flows.edition.publish.errors import Holder
from flows.edition.publish.manifest import Manifest
from flows.edition.render import paginate
from flows.edition.render.context import build_context
from flows.edition.render.html import render_html
from flows.edition.render.layout import PrintedPdf, lay_out_pages, print_pdf
from flows.edition.render.paginate import Brochure, PageGroup
from flows.edition.validate.reconcile import report_lines
from flows.version import code_digest, code_version

TIMEZONE = ZoneInfo("Europe/Paris")
# Same inputs, same task, same code, templates and libraries: same result.
CONTENT = INPUTS + TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=lambda context, parameters: code_digest())
DOWNLOAD_URL = os.environ.get("FIR_DOWNLOAD_URL", "http://127.0.0.1:8000")
_PYPLOT = threading.Lock()


class ValidationFailed(InputError):
    """The figures do not reconcile beyond what rounding explains: nothing is built."""

    def __init__(self, lines: list[str]):
        Exception.__init__(self, lines)  # one argument, so the exception survives Prefect's pickling
        self.lines = lines
        self.problems = []


@dataclass
class BuildResult:
    pdf_path: Path
    revision: int
    published: bool  # False when the inputs had not changed since the latest revision
    message: str
    pages: int = 0
    render_warnings: list[str] = field(default_factory=list)
    erratum: tuple[record.Change, ...] = ()
    report: list[str] = field(default_factory=list)  # the validation report, as `fir check` prints it
    catalogue: str = ""  # where the catalogue is (its URL, without password)


@task(name="snapshot", cache_policy=NO_CACHE, on_completion=[steps.note])
def take_snapshot(inputs: Path, region: str, year: int) -> Snapshot:
    """Read the edition and the region's earlier editions once: every input file's bytes and checksum."""
    snapshot = read_snapshot(inputs, region, year)
    for reason in snapshot.skipped:
        get_run_logger().warning("%s", reason)
    return snapshot


@task(name="recover", cache_policy=NO_CACHE, on_completion=[steps.note])
def recover_store(outputs: Path, region: str, year: int) -> None:
    """Reconcile the edition's files with the catalogue before anything else (a crashed run, an old tree)."""
    recovery = store.open_catalogue(outputs).recover(region, year)
    logger = get_run_logger()
    if recovery.imported:
        logger.warning("Révisions importées dans le catalogue : %s", ", ".join(map(str, recovery.imported)))
    for path in recovery.removed:
        logger.warning("Fichier laissé par une exécution interrompue, supprimé : %s", path)


@task(name="decide-revision", cache_policy=NO_CACHE, on_completion=[steps.note])
def decide_revision(
    outputs: Path, edition: Edition, reason: str | None, trigger: str, force: bool
) -> tuple[revisions.Decision, Manifest | None]:
    """Compare the inputs with the latest revision: publish a new one, or nothing."""
    history = store.open_catalogue(outputs).history(edition.meta.region, edition.meta.year)
    return revisions.decide(history, edition.checksums, reason, trigger, force), history


@task(name="prepare", cache_policy=CONTENT, on_completion=[steps.note])
def prepare_edition(snapshot: Snapshot, basis: published.Basis) -> Prepared:
    """Validate, compute and name the figures; stop on errors, keep published gaps as warnings."""
    prepared = prepare(snapshot, basis)
    if prepared.report.errors:
        raise ValidationFailed(report_lines(snapshot.edition, prepared.report))
    return prepared


@task(name="chart", cache_policy=CONTENT, task_run_name="chart-{key}", on_completion=[steps.note])
def draw_chart(key: str, data: Any, primary: str) -> DrawnChart:
    """Draw one chart to SVG, with its alternative text; cached on the chart's own data."""
    with _PYPLOT:  # matplotlib's pyplot is not thread-safe: one chart at a time per process
        from flows.edition.charts import draw, svg  # plotnine and matplotlib: only when a chart is really drawn

        svg.register_fonts(paths.FONTS_DIR)
        chart = draw.build(key, data, primary)
        return DrawnChart(chart.key, chart.alt, chart.width_cm, svg.svg_data_uri(svg.chart_svg(chart)))


@task(name="render-html", cache_policy=CONTENT, on_completion=[steps.note])
def render_brochure_html(
    edition: Edition, prepared: Prepared, charts: dict[str, DrawnChart], revision: record.Revision
) -> str:
    """Fill the brochure templates."""
    return render_html(build_context(edition, prepared, charts, revision), paths.TEMPLATES_DIR)


@task(name="lay-out-pages", cache_policy=CONTENT, task_run_name="pages-{key}", on_completion=[steps.note])
def lay_out_group(document: str, stubs: tuple[str, ...], key: int) -> PageGroup:
    """Lay out one group of pages (starting at page `key`); cached on its document."""
    return lay_out_pages(document, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], stubs)


# Not cached: binding is fast, and storing two whole PDFs per run would never pay.
@task(name="bind-pdf", cache_policy=NO_CACHE, on_completion=[steps.note])
def bind_pdf(brochure: Brochure, edition: Edition) -> PrintedPdf:
    """Bind the page groups into the published PDF (PDF/UA-1) and the archival one (PDF/A-3a, data attached)."""
    attached_on = dt.datetime(edition.meta.year + 1, 1, 1, tzinfo=dt.UTC)
    return print_pdf(brochure, list(edition.attachments), attached_on, [paths.FONTS_DIR])


@task(name="publish", cache_policy=NO_CACHE, on_completion=[steps.note])
def publish_revision(
    outputs: Path,
    edition: Edition,
    number: int,
    printed: PrintedPdf,
    entry: record.RevisionRecord,
    results: list[str],
) -> Manifest:
    """Make the new revision the current brochure: files stored, one commit, views regenerated."""
    meta = edition.meta
    return store.open_catalogue(outputs).publish(
        meta.region, meta.year, meta.region_name, number, printed.published, printed.archival, entry.as_json(), results
    )


@task(name="collect-garbage", cache_policy=NO_CACHE, on_completion=[steps.note])
def collect_garbage(outputs: Path) -> None:
    """A bounded pass over Prefect's persisted results (`fir gc` does the whole store)."""
    from prefect.settings import get_current_settings

    keep = store.open_catalogue(outputs).results_needed()
    folder = Path(get_current_settings().results.local_storage_path)
    gc.prune_results(folder, keep, gc.RESULTS_MAX_AGE_S, gc.RESULTS_MAX_BYTES, limit=gc.PASS_LIMIT)


@task(name="report", cache_policy=NO_CACHE, on_completion=[steps.note])
def report_run(region: str, year: int, revision: int, prepared: Prepared) -> None:
    """Prefect artifacts: a link to the brochure's download, a table of key figures and warnings."""
    from prefect.artifacts import create_link_artifact, create_table_artifact

    key = f"fir-{region}-{year}"
    create_link_artifact(
        key=key,
        link=f"{DOWNLOAD_URL}/download/{region}/{year}/{revision}",
        link_text=f"FIR {year} {region}, révision {revision}",
        description="Télécharger la brochure publiée",
    )
    figures = prepared.catalogue
    rows = [
        {"chiffre": name, "valeur": figures[name]}
        for name in ("revenue.total", "execution.AE", "execution.AE.rate", "execution.CP", "execution.CP.rate")
        if name in figures
    ]
    rows += [{"chiffre": "avertissement", "valeur": f.message} for f in prepared.report.warnings]
    create_table_artifact(
        key=f"{key}-chiffres", table=rows, description=f"Chiffres clés et avertissements, révision {revision}"
    )


def _say_waiting(where: str, holder: Holder | None) -> None:
    who = f"par le {holder.describe()}" if holder else "par une autre commande"
    get_run_logger().warning("Édition en cours de construction %s (%s) : attente de sa fin…", who, where)


@flow(name="fir-brochure", log_prints=True)
def build_brochure(
    region: str = "hauts-de-france",
    year: int = 2024,
    inputs: str | None = None,
    outputs: str | None = None,
    reason: str | None = None,
    trigger: str = revisions.MANUAL,
    force: bool = False,
    lock_timeout: float = store.LOCK_TIMEOUT_S,
) -> BuildResult:
    """Build and publish the FIR brochure of one region and year as a new revision."""
    runtime.pace_garbage_collector()  # scheduled and national runs do not go through the command line
    outputs_dir = Path(outputs) if outputs else paths.OUTPUTS_DIR
    snapshot = take_snapshot(Path(inputs) if inputs else paths.INPUTS_DIR, region, year)
    edition = snapshot.edition
    catalogue = store.open_catalogue(outputs_dir)
    with catalogue.lock(region, year, lock_timeout, _say_waiting):
        recover_store(outputs_dir, region, year)
        decision, manifest = decide_revision(outputs_dir, edition, reason, trigger, force)
        get_run_logger().info("%s %s : %s", region, year, decision.message)
        if not decision.build:
            return BuildResult(
                paths.brochure_path(outputs_dir, region, year), decision.revision, False, decision.message
            )
        prepared = prepare_edition(snapshot, revisions.latest_basis(manifest))
        charts = {
            key: draw_chart(key=key, data=data, primary=edition.meta.primary)
            for key, data in chart_data(prepared.figures)
        }
        revision = record.revision(decision, manifest, edition, prepared)
        html = render_brochure_html(edition, prepared, charts, revision)
        brochure = paginate.paginate(html, lambda document, stubs, first: lay_out_group(document, stubs, key=first))
        printed = bind_pdf(brochure, edition)
        entry = record.revision_record(
            revision,
            trigger,
            edition,
            prepared,
            printed.pages,
            dt.datetime.now(TIMEZONE),
            code_version(),
            brochure.page_numbers,
        )
        results = steps.results_of(str(flow_run.get_id()))
        publish_revision(outputs_dir, edition, decision.revision, printed, entry, results)
    report_run(region, year, decision.revision, prepared)
    collect_garbage(outputs_dir)
    return BuildResult(
        paths.brochure_path(outputs_dir, region, year),
        decision.revision,
        True,
        decision.message,
        printed.pages,
        printed.warnings,
        entry.erratum,
        report_lines(edition, prepared.report),
        catalogue.where,
    )
