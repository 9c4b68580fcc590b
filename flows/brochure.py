"""The Prefect flow that builds and publishes one edition's brochure. It reads like the job's table
of contents: ingest → validate → compute → charts → render HTML → print PDF → publish.

Each task is a thin wrapper over a pure function of `flows.edition`. Tasks are cached on the content
of their inputs (results persisted by Prefect), so a correction re-runs only the steps it touches.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE, CacheKeyFnPolicy

from flows import paths, runtime
from flows.edition.charts import data as chart_data
from flows.edition.compute import catalogue as references
from flows.edition.compute import figures as compute
from flows.edition.errors import InputError
from flows.edition.ingest import snapshot as ingest
from flows.edition.publish import revisions
from flows.edition.publish import store as publish
from flows.edition.render import context, paginate
from flows.edition.render import layout as render
from flows.edition.render.paginate import Brochure, PageGroup
from flows.edition.validate import reconcile
from flows.version import code_digest, code_version

TIMEZONE = ZoneInfo("Europe/Paris")
# Same inputs, same task, same code, templates and libraries: same result.
CONTENT = INPUTS + TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=lambda context, parameters: code_digest())
DOWNLOAD_URL = os.environ.get("FIR_DOWNLOAD_URL", "http://127.0.0.1:8000")
# Wall-clock time set by the command line just before it calls the flow: how long Prefect took to start it.
CALLED_AT_ENV = "FIR_FLOW_CALLED_AT"
_PYPLOT = threading.Lock()


class ValidationFailed(InputError):
    """The figures do not reconcile beyond what rounding explains: nothing is built."""

    def __init__(self, report: reconcile.Report):
        self.report = report
        Exception.__init__(self, "\n".join(str(f) for f in report.errors))
        self.problems = []


@dataclass
class BuildResult:
    pdf_path: Path
    revision: int
    published: bool  # False when the inputs had not changed since the latest revision
    message: str
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    render_warnings: list[str] = field(default_factory=list)
    erratum: list[dict] = field(default_factory=list)
    cached_steps: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per step, for the benchmark


@task(name="ingest", cache_policy=NO_CACHE)
def ingest_edition(inputs: Path, region: str, year: int) -> tuple[ingest.Edition, dict[str, str]]:
    """Read the edition's tables and texts, and checksum every input file."""
    edition = ingest.read_edition(inputs, region, year)
    return edition, ingest.input_checksums(edition, inputs)


@task(name="ingest-earlier-editions", cache_policy=NO_CACHE)
def ingest_earlier_editions(inputs: Path, region: str, year: int) -> dict[int, dict]:
    """Read the region's earlier editions, for the comparison across years."""
    editions, skipped = ingest.read_other_editions(inputs, region, year)
    for reason in skipped:
        get_run_logger().warning("%s", reason)
    return editions


@task(name="decide-revision", cache_policy=NO_CACHE)
def decide_revision(
    outputs: Path, region: str, year: int, checksums: dict[str, str], reason: str | None, trigger: str, force: bool
) -> tuple[revisions.Decision, dict | None]:
    """Compare the inputs with the latest revision: publish a new one, or nothing."""
    manifest = publish.read_manifest(outputs, region, year)
    return revisions.decide(manifest, checksums, reason, trigger, force), manifest


@task(name="validate", cache_policy=CONTENT)
def validate_edition(edition: ingest.Edition) -> reconcile.Report:
    """Reconcile every total; stop on errors, keep published gaps as warnings."""
    report = reconcile.validate(edition)
    if report.errors:
        raise ValidationFailed(report)
    return report


@task(name="compute", cache_policy=CONTENT)
def compute_figures(
    tables: dict, year: int, missions_ref, subset_exclude: tuple[str, ...], earlier: dict[int, dict]
) -> compute.Figures:
    """Shares, variances, execution rates and the comparison with earlier editions."""
    return compute.compute_figures(tables, year, missions_ref, subset_exclude, earlier)


@task(name="chart", cache_policy=CONTENT, task_run_name="chart-{key}")
def draw_chart(key: str, data, primary: str, title: str | None) -> dict:
    """Draw one chart to SVG, with its alternative text; cached on the chart's own data."""
    with _PYPLOT:  # matplotlib's pyplot is not thread-safe: one chart at a time per process
        from flows.edition.charts import draw as charts  # plotnine and matplotlib: only when a chart is really drawn

        render.register_fonts(paths.FONTS_DIR)
        chart = charts.build(key, data, primary, title)
        svg = render.chart_svg(chart)
    return {
        "key": chart.key,
        "title": chart.title,
        "alt": chart.alt,
        "width_cm": chart.width_cm,
        "src": render.svg_data_uri(svg),
    }


@task(name="render-html", cache_policy=CONTENT)
def render_html(
    edition: ingest.Edition, figures: compute.Figures, report: reconcile.Report, charts: dict[str, dict], revision: dict
) -> str:
    """Fill the brochure templates."""
    ctx = context.build_context(edition, figures, report, charts, revision)
    return render.render_html(ctx, paths.TEMPLATES_DIR)


@task(name="lay-out-pages", cache_policy=CONTENT, task_run_name="pages-{key}")
def lay_out_pages(document: str, stubs: tuple[str, ...], folder: Path, files_digest: str, key: int) -> PageGroup:
    """Lay out one group of pages (starting at page `key`); cached on its document and the files it shows."""
    return render.lay_out_pages(document, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR, folder], stubs)


# Not cached: binding is fast, and storing two whole PDFs per run would never pay.
@task(name="bind-pdf", cache_policy=NO_CACHE)
def bind_pdf(brochure: Brochure, attachments: list[tuple[str, bytes]], year: int) -> render.PrintedPdf:
    """Bind the page groups into the published PDF (PDF/UA-1) and the archival one (PDF/A-3a, data attached)."""
    return render.print_pdf(brochure, attachments, dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC), [paths.FONTS_DIR])


@task(name="publish", cache_policy=NO_CACHE)
def publish_brochure(
    outputs: Path, edition: ingest.Edition, decision: revisions.Decision, printed: render.PrintedPdf, record: dict
) -> dict:
    """Make the new revision the current brochure: files first, manifest last."""
    meta = edition.meta
    return publish.publish_revision(
        outputs,
        meta.region,
        meta.year,
        decision.revision,
        printed.published,
        printed.archival,
        record,
        meta.region_name,
    )


@task(name="report", cache_policy=NO_CACHE)
def report_run(region: str, year: int, revision: int, figures: dict[str, str], warnings: list[str]) -> None:
    """Prefect artifacts: a link to the brochure's download, a table of key figures and warnings."""
    from prefect.artifacts import create_link_artifact, create_table_artifact

    key = f"fir-{region}-{year}"
    create_link_artifact(
        key=key,
        link=f"{DOWNLOAD_URL}/download/{region}/{year}/{revision}",
        link_text=f"FIR {year} {region}, révision {revision}",
        description="Télécharger la brochure publiée",
    )
    rows = [
        {"chiffre": name, "valeur": figures[name]}
        for name in ("revenue.total", "execution.AE", "execution.AE.rate", "execution.CP", "execution.CP.rate")
        if name in figures
    ]
    rows += [{"chiffre": "avertissement", "valeur": w} for w in warnings]
    create_table_artifact(
        key=f"{key}-chiffres", table=rows, description=f"Chiffres clés et avertissements, révision {revision}"
    )


@dataclass
class _Steps:
    """Runs tasks, noting which ones Prefect served from its cache and how long each step took."""

    cached: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    no_cache: bool = field(default_factory=lambda: os.environ.get("FIR_NO_CACHE") == "1")  # the bench's baseline

    def run(self, task_obj, *args, **kwargs):
        name = f"{task_obj.name}-{kwargs['key']}" if "key" in kwargs else task_obj.name
        if self.no_cache:
            task_obj = task_obj.with_options(cache_policy=NO_CACHE)
        started = time.perf_counter()
        state = task_obj(*args, return_state=True, **kwargs)
        self.add(task_obj.name, time.perf_counter() - started)
        if state.name == "Cached":
            self.cached.append(name)
        return state.result()

    def add(self, step: str, seconds: float) -> None:
        self.seconds[step] = self.seconds.get(step, 0.0) + seconds


@flow(name="fir-brochure", log_prints=True)
def build_brochure(
    region: str = "hauts-de-france",
    year: int = 2024,
    inputs: str | None = None,
    outputs: str | None = None,
    reason: str | None = None,
    trigger: str = revisions.MANUAL,
    force: bool = False,
) -> BuildResult:
    """Build and publish the FIR brochure of one region and year as a new revision."""
    runtime.pace_garbage_collector()  # scheduled and national runs do not go through the command line
    inputs_dir = Path(inputs) if inputs else paths.INPUTS_DIR
    outputs_dir = Path(outputs) if outputs else paths.OUTPUTS_DIR
    logger = get_run_logger()
    steps = _Steps()
    if called_at := os.environ.get(CALLED_AT_ENV):
        steps.add("prefect-start", time.time() - float(called_at))
    edition, checksums = steps.run(ingest_edition, inputs_dir, region, year)
    with publish.edition_lock(outputs_dir, region, year):
        decision, manifest = steps.run(decide_revision, outputs_dir, region, year, checksums, reason, trigger, force)
        logger.info("%s %s : %s", region, year, decision.message)
        if not decision.build:
            return BuildResult(
                paths.brochure_path(outputs_dir, region, year),
                decision.revision,
                False,
                decision.message,
                seconds=steps.seconds,
            )
        earlier = steps.run(ingest_earlier_editions, inputs_dir, region, year)
        report = steps.run(validate_edition, edition)
        meta = edition.meta
        figures = steps.run(compute_figures, edition.tables, year, edition.missions_ref, meta.subset_exclude, earlier)
        charts = {
            key: steps.run(draw_chart, key=key, data=data, primary=meta.primary, title=title)
            for key, data, title in chart_data.chart_data(figures, meta.subset_title)
        }
        names = references.catalogue(edition.tables, figures)
        previous = revisions.latest(manifest)
        erratum = (
            revisions.erratum(
                previous["figures"], names, revisions.figure_labels(edition.tables, [*names, *previous["figures"]])
            )
            if previous
            else []
        )
        revision = {
            "number": decision.revision,
            "reason": decision.reason,
            "erratum": erratum,
            "previous": previous["revision"] if previous else None,
        }
        html = steps.run(render_html, edition, figures, report, charts, revision)
        files_digest = render.local_files_digest(html)
        brochure = paginate.paginate(
            html,
            lambda document, stubs, first_page: steps.run(
                lay_out_pages, document, stubs, edition.folder, files_digest, key=first_page
            ),
        )
        printed = steps.run(bind_pdf, brochure, ingest.figure_tables_as_csv(edition), year)
        record = {
            "published_at": dt.datetime.now(TIMEZONE).isoformat(timespec="seconds"),
            "reason": decision.reason,
            "trigger": trigger,
            "code_version": code_version(),
            "inputs_digest": revisions.inputs_digest(checksums),
            "inputs": checksums,
            "pages": printed.pages,
            "warnings": [f.message for f in report.warnings],
            "erratum": erratum,
            "figures": names,
        }
        steps.run(publish_brochure, outputs_dir, edition, decision, printed, record)
    if steps.cached:
        logger.info("étapes reprises du cache : %s", ", ".join(steps.cached))
    steps.run(report_run, region, year, decision.revision, names, [f.message for f in report.warnings])
    return BuildResult(
        paths.brochure_path(outputs_dir, region, year),
        decision.revision,
        True,
        decision.message,
        printed.pages,
        [str(f) for f in report.warnings],
        printed.warnings,
        erratum,
        steps.cached,
        steps.seconds,
    )
