"""The Prefect flow that builds one edition's brochure. It reads like the job's table of contents:
ingest → validate → compute → charts → render HTML → print PDF → publish.

Each task is a thin wrapper over a pure function of `flows.edition`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import paths
from flows.edition import charts as charts_mod
from flows.edition import compute, context, ingest, publish, reconcile, render
from flows.edition.errors import InputError


class ValidationFailed(InputError):
    """The figures do not reconcile beyond what rounding explains: nothing is built."""

    def __init__(self, report: reconcile.Report):
        self.report = report
        Exception.__init__(self, "\n".join(str(f) for f in report.errors))
        self.problems = []


@dataclass(frozen=True)
class BuildResult:
    pdf_path: Path
    pages: int
    warnings: list[str]
    render_warnings: list[str]


@task(name="ingest", cache_policy=NO_CACHE)
def ingest_edition(inputs: Path, region: str, year: int) -> ingest.Edition:
    """Read the edition's tables and texts."""
    return ingest.read_edition(inputs, region, year)


@task(name="ingest-earlier-editions", cache_policy=NO_CACHE)
def ingest_earlier_editions(inputs: Path, region: str, year: int) -> dict[int, dict]:
    """Read the region's earlier editions, for the comparison across years."""
    editions, skipped = ingest.read_other_editions(inputs, region, year)
    for reason in skipped:
        get_run_logger().warning("%s", reason)
    return editions


@task(name="validate", cache_policy=NO_CACHE)
def validate_edition(edition: ingest.Edition) -> reconcile.Report:
    """Reconcile every total; stop on errors, keep published gaps as warnings."""
    report = reconcile.validate(edition)
    logger = get_run_logger()
    for finding in report.warnings:
        logger.info("avertissement : %s", finding)
    if report.errors:
        raise ValidationFailed(report)
    return report


@task(name="compute", cache_policy=NO_CACHE)
def compute_figures(edition: ingest.Edition, earlier: dict[int, dict]) -> compute.Figures:
    """Shares, variances, execution rates and the comparison with earlier editions."""
    meta = edition.meta
    return compute.compute_figures(edition.tables, meta.year, edition.missions_ref, meta.subset_exclude, earlier)


@task(name="charts", cache_policy=NO_CACHE)
def draw_charts(figures: compute.Figures, edition: ingest.Edition) -> dict[str, dict]:
    """Draw every chart to SVG, with its alternative text."""
    render.register_fonts(paths.FONTS_DIR)
    drawn = {}
    for chart in charts_mod.make_charts(figures, edition.meta.primary, edition.meta.subset_title):
        drawn[chart.key] = {
            "key": chart.key,
            "title": chart.title,
            "alt": chart.alt,
            "width_cm": chart.width_cm,
            "src": render.svg_data_uri(render.chart_svg(chart)),
        }
    return drawn


@task(name="render-html", cache_policy=NO_CACHE)
def render_html(
    edition: ingest.Edition, figures: compute.Figures, report: reconcile.Report, charts: dict[str, dict]
) -> str:
    """Fill the brochure templates."""
    return render.render_html(context.build_context(edition, figures, report, charts), paths.TEMPLATES_DIR)


@task(name="print-pdf", cache_policy=NO_CACHE)
def print_pdf(html: str, edition: ingest.Edition) -> render.PrintedPdf:
    """Lay out the pages; write the published (PDF/UA-1) and archival (PDF/A-3a, data attached) PDFs."""
    return render.print_pdf(
        html,
        paths.TEMPLATES_DIR,
        [paths.TEMPLATES_DIR, edition.folder],
        identifier=f"fir-{edition.meta.region}-{edition.meta.year}",
        attachments=ingest.figure_tables_as_csv(edition),
        attachment_date=dt.datetime(edition.meta.year + 1, 1, 1, tzinfo=dt.UTC),
    )


@task(name="publish", cache_policy=NO_CACHE)
def publish_brochure(printed: render.PrintedPdf, outputs: Path, region: str, year: int) -> Path:
    """Make the new brochure (and its archival copy) the current one, atomically."""
    publish.publish_pdf(printed.archival, outputs, region, year, archival=True)
    return publish.publish_pdf(printed.published, outputs, region, year)


@flow(name="fir-brochure", log_prints=True)
def build_brochure(
    region: str = "hauts-de-france", year: int = 2024, inputs: str | None = None, outputs: str | None = None
) -> BuildResult:
    """Build and publish the FIR brochure of one region and year."""
    inputs_dir = Path(inputs) if inputs else paths.INPUTS_DIR
    outputs_dir = Path(outputs) if outputs else paths.OUTPUTS_DIR
    edition = ingest_edition(inputs_dir, region, year)
    earlier = ingest_earlier_editions(inputs_dir, region, year)
    report = validate_edition(edition)
    figures = compute_figures(edition, earlier)
    charts = draw_charts(figures, edition)
    html = render_html(edition, figures, report, charts)
    printed = print_pdf(html, edition)
    pdf_path = publish_brochure(printed, outputs_dir, region, year)
    return BuildResult(pdf_path, printed.pages, [str(f) for f in report.warnings], printed.warnings)
