"""The build's pure steps, each a plain function whose parameter names are the values it reads and whose
name is the value it makes (flows/pipeline/graph.py declares them in order). Thin: each calls the
`flows.edition` functions that hold the rules. A fan-out step takes `each`, the runner's way of computing one
part (a chart, a group of pages): in a worker process, from a memo, as a Prefect task cached on its content.
The modules of the steps after the report are imported by them: `fir check` does not load them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flows import paths
from flows.edition.charts.data import DrawnChart, chart_data
from flows.edition.compute.published import BasisEntry
from flows.edition.errors import InputError
from flows.edition.ingest.snapshot import Snapshot
from flows.edition.prepare import Prepared, prepare
from flows.edition.publish import record, revisions
from flows.edition.publish.manifest import Manifest, WebAddressEntry
from flows.edition.render import paginate
from flows.edition.render.context import build_context
from flows.edition.render.dates import file_date
from flows.edition.render.html import render_html
from flows.edition.render.paginate import Brochure
from flows.edition.theme import Theme
from flows.edition.validate.address import PrintedAddress, printed_address, settings_findings
from flows.edition.validate.findings import Finding
from flows.edition.validate.reconcile import report_lines

if TYPE_CHECKING:
    from flows.edition.render.layout import PrintedPdf

Job = tuple[Any, ...]  # the arguments of one part
Each = Callable[..., Any]  # computes one part from its arguments


class ValidationFailed(InputError):
    """The figures do not reconcile beyond what rounding explains: nothing is built."""

    def __init__(self, lines: list[str], errors: tuple[Finding, ...] = ()):
        Exception.__init__(self, lines)  # one argument, so the exception survives Prefect's pickling
        self.lines = lines
        self.errors = errors  # the report's errors, for the preview's page
        self.problems = []


def address(snapshot: Snapshot, environ: Mapping[str, str]) -> PrintedAddress:
    """The web edition's address the brochure prints: a public one, or none (validate/address.py)."""
    meta = snapshot.edition.meta
    return printed_address(meta.web_url, environ, meta.region, meta.year)


def settings(snapshot: Snapshot, address: PrintedAddress) -> tuple[Finding, ...]:
    """What the check of the build's settings found (that address, the agency's site), in the report."""
    return settings_findings(address, snapshot.edition.meta)


def basis(published: Manifest | None) -> dict[str, BasisEntry]:
    """The published values the latest publication printed, which still hold (compute/published.py)."""
    return revisions.latest_basis(published)


def prepared(snapshot: Snapshot, basis: dict[str, BasisEntry], settings: tuple[Finding, ...]) -> Prepared:
    """Validate, compute and name the figures; errors and warnings in its report."""
    return prepare(snapshot, basis, settings)


def report(snapshot: Snapshot, prepared: Prepared) -> list[str]:
    """The validation report, as `fir check` prints it."""
    return report_lines(snapshot.edition, prepared.report)


def valid(prepared: Prepared, report: list[str]) -> Prepared:
    """The prepared figures, when they reconcile: on errors nothing is built (published gaps stay warnings)."""
    if prepared.report.errors:
        raise ValidationFailed(report, tuple(prepared.report.errors))
    return prepared


def chart_jobs(snapshot: Snapshot, valid: Prepared) -> list[Job]:
    """One job per chart: its key, its own data (what its cache is keyed on) and the brand colour."""
    return [(key, data, snapshot.edition.meta.primary) for key, data in chart_data(valid.figures)]


def charts(chart_jobs: list[Job], each: Each) -> dict[str, DrawnChart]:
    """Every chart, drawn one per job."""
    return {job[0]: each(*job) for job in chart_jobs}


CHART_PENDING = "data:,fir-chart-pending"  # where a chart not drawn yet would be: its page group waits for it


def early_brochure(
    snapshot: Snapshot,
    valid: Prepared,
    chart_jobs: list[Job],
    revision: record.Revision,
    address: PrintedAddress,
    each: Each,
) -> int:
    """The brochure's page groups before its first chart, laid out while the charts are drawn: the brochure
    filled with a placeholder for each chart, laid out up to the first group showing one (render/paginate.py
    `lay_out_leading`). The same documents `brochure` asks for next, found ready. Returns how many."""
    pending = {job[0]: DrawnChart(job[0], "", 0.0, CHART_PENDING) for job in chart_jobs}
    return paginate.lay_out_leading(html(snapshot, valid, pending, revision, address), each, CHART_PENDING)


def revision(
    decision: revisions.Decision, published: Manifest | None, snapshot: Snapshot, valid: Prepared
) -> record.Revision:
    """The revision the brochure is printed as, its erratum against the current publication."""
    return record.revision(decision, published, snapshot.edition, valid)


def html(
    snapshot: Snapshot,
    valid: Prepared,
    charts: dict[str, DrawnChart],
    revision: record.Revision,
    address: PrintedAddress,
) -> str:
    """Fill the brochure templates (the web edition's address printed on the back cover)."""
    context = build_context(snapshot.edition, valid, charts, revision, address.url)
    return render_html(context, paths.TEMPLATES_DIR)


def web_page(
    snapshot: Snapshot,
    valid: Prepared,
    charts: dict[str, DrawnChart],
    revision: record.Revision,
    address: PrintedAddress,
) -> bytes:
    """The web edition: the same context as the brochure, as one accessible HTML page linking to the PDF."""
    from flows.edition.render import web

    edition = snapshot.edition
    pdf = paths.file_name("pdf", edition.meta.region, edition.meta.year)
    font = (paths.FONTS_DIR / "Inter-Regular.otf").read_bytes()  # the charts' labels (charts/draw.py)
    page = web.web_edition(edition, valid, charts, revision, address.url, pdf, paths.TEMPLATES_DIR, font)
    return page.encode("utf-8")


def planned_pages(html: str, earlier_pages: Mapping[str, int] | None) -> list[tuple[str, tuple[str, ...], int]]:
    """The brochure's groups its layout will ask for, laid out side by side beforehand (render/paginate.py): a
    correction's at the pages where the edition's latest revision has them (`planned_at_anchors`, which names
    them by those pages), a first build's those that print no page number (`planned_independent`)."""
    if earlier_pages:
        return paginate.planned_at_anchors(html, earlier_pages)
    return paginate.planned_independent(html)


def brochure(html: str, layout_hint: Mapping[str, int] | None, each: Each) -> Brochure:
    """The brochure's page groups laid out (render/paginate.py); `layout_hint`: the pages an earlier layout
    found, when there is one (the preview's last)."""
    return paginate.paginate(html, each, layout_hint)


def pdf(brochure: Brochure, snapshot: Snapshot) -> PrintedPdf:
    """Bind the page groups into the published PDF (PDF/UA-1) and the archival one (PDF/A-3a, data attached)."""
    from flows.edition.render.layout import print_pdf as bind_brochure

    edition = snapshot.edition
    return bind_brochure(brochure, list(edition.attachments), file_date(edition.meta.year), [paths.FONTS_DIR])


def marked(pdf: PrintedPdf) -> bytes:
    """The reviewers' copy: the brochure approval will publish, marked "PROJET — ne pas diffuser"."""
    from flows.edition.render import draft_mark

    return draft_mark.mark_draft(pdf.published)


def print_profile() -> bytes:
    """The print file's CMYK output profile, read before any page is laid out: missing, it is said at once
    (exit 3) rather than after the layout."""
    from flows.edition.render.layout import print_profile as read_profile

    return read_profile(paths.PRINT_PROFILE)


def print_pdf_file(brochure: Brochure, print_profile: bytes, snapshot: Snapshot) -> bytes:
    """The print file (PDF/X-4, the CMYK output profile embedded): the brochure's very pages bound for the
    press, never laid out again (render/print_file.py)."""
    from flows.edition.render import print_file

    meta = snapshot.edition.meta
    theme = Theme.from_brand(meta.primary, meta.accent)
    created = file_date(meta.year)
    return print_file.bind(brochure.groups, theme, print_profile, [paths.FONTS_DIR], created, brochure.footers)


def data(snapshot: Snapshot, valid: Prepared, decision: revisions.Decision, built_at: str) -> bytes:
    """The open-data package (tables as CSV and XLSX, datapackage.json), dated by the revision's record."""
    from flows.edition.opendata.package import edition_package

    return edition_package(snapshot.edition, valid, decision.revision, dt.datetime.fromisoformat(built_at))


def web_address(address: PrintedAddress) -> WebAddressEntry:
    """What the revision's record keeps of the address printed: the address and its setting."""
    return WebAddressEntry(url=address.url, setting=address.setting)


def files(pdf: PrintedPdf, marked: bytes, print_pdf: bytes, web_page: bytes, data: bytes) -> dict[str, bytes]:
    """The draft's files by role: brochure, archival copy, marked copy, print file, web edition, data."""
    return {
        "pdf": pdf.published,
        "archive": pdf.archival,
        "draft": marked,
        "print": print_pdf,
        "web": web_page,
        "data": data,
    }
