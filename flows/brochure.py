"""The Prefect flow that builds one edition's brochure as a draft for sign-off. It reads like the job's
table of contents: snapshot → prepare (validate, compute, name the figures) → charts → render HTML → lay
out pages → bind the PDF → mark the reviewers' copy → record the draft → tell the approvers.

Each task is a thin wrapper over a function of `flows.edition`. Tasks are cached on the content of
their inputs (results persisted by Prefect), so a correction re-runs only the steps it touches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE, CacheKeyFnPolicy
from prefect.runtime import flow_run
from sqlalchemy.engine import Connection

from flows import carryover, paths, runtime, steps
from flows.edition.charts.data import DrawnChart, chart_data
from flows.edition.compute import published
from flows.edition.errors import InputError
from flows.edition.ingest.snapshot import Edition, Snapshot, read_snapshot
from flows.edition.opendata.package import edition_package
from flows.edition.prepare import Prepared, prepare
from flows.edition.publish import builds, gc, record, revisions, store
from flows.edition.publish.errors import Holder
from flows.edition.publish.manifest import Manifest, RevisionEntry, WebAddressEntry
from flows.edition.render import draft_mark, paginate, print_file, web
from flows.edition.render.context import build_context
from flows.edition.render.html import render_html
from flows.edition.render.layout import PrintedPdf, lay_out_pages, print_pdf, print_profile
from flows.edition.render.paginate import Brochure, PageGroup
from flows.edition.theme import PrintColours
from flows.edition.validate.address import printed_address, website_findings
from flows.edition.validate.findings import Finding
from flows.edition.validate.reconcile import report_lines
from flows.notices import audit, notify, outbox
from flows.version import code_digest, code_version

TIMEZONE = ZoneInfo("Europe/Paris")
# Same inputs, same task, same code, templates and libraries: same result.
CONTENT = INPUTS + TASK_SOURCE + CacheKeyFnPolicy(cache_key_fn=lambda context, parameters: code_digest())
_PYPLOT = threading.Lock()


class ValidationFailed(InputError):
    """The figures do not reconcile beyond what rounding explains: nothing is built."""

    def __init__(self, lines: list[str]):
        Exception.__init__(self, lines)  # one argument, so the exception survives Prefect's pickling
        self.lines = lines
        self.problems = []


@dataclass
class BuildResult:
    pdf_path: Path  # the draft's marked copy; when nothing was built, the current publication
    revision: int
    published: bool  # False when the inputs had not changed since the latest revision (nothing built)
    message: str
    pages: int = 0
    render_warnings: list[str] = field(default_factory=list)
    erratum: tuple[record.Change, ...] = ()
    report: list[str] = field(default_factory=list)  # the validation report, as `fir check` prints it
    catalogue: str = ""  # where the catalogue is (its URL, without password)
    # After the draft is recorded: the steps that did not complete (public files, report, clean-up), each
    # said in French with what to do; and the notifications still owed (sent later, never lost).
    incomplete: list[str] = field(default_factory=list)
    owed: list[str] = field(default_factory=list)


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
    if recovery.from_records or recovery.decisions:
        numbers = ", ".join(map(str, sorted({*recovery.from_records, *recovery.decisions})))
        logger.warning("Catalogue plus ancien que les fichiers : révisions %s reprises des enregistrements", numbers)
    for path in recovery.removed:
        logger.warning("Fichier laissé par une exécution interrompue, supprimé : %s", path)
    for path in recovery.restored:  # a damaged object (truncated, overwritten): its intact copy took its place
        logger.warning("Fichier publié altéré, rétabli depuis sa copie intacte : %s", path)
    for number in recovery.interrupted:
        said = builds.message(region, year, number, outputs)
        logger.warning("%s.", said[0].upper() + said[1:])
    for path in recovery.quarantined:
        logger.warning("Fichier que rien ne référence, mis en quarantaine (pas supprimé) : %s", path)
    for problem in recovery.problems:
        logger.warning("À vérifier : %s", problem)


@task(name="decide-revision", cache_policy=NO_CACHE, on_completion=[steps.note])
def decide_revision(
    outputs: Path, edition: Edition, reason: str | None, trigger: str, force: bool
) -> tuple[revisions.Decision, Manifest | None]:
    """Compare the inputs with the latest revision (draft or not): build a new one, or nothing. Returns the
    published history too: the new revision's erratum is computed against the current publication."""
    catalogue = store.open_catalogue(outputs)
    every = catalogue.history(edition.meta.region, edition.meta.year, statuses=None)
    published = catalogue.history(edition.meta.region, edition.meta.year)
    return revisions.decide(every, edition.checksums, reason, trigger, force), published


@task(name="prepare", cache_policy=CONTENT, on_completion=[steps.note])
def prepare_edition(snapshot: Snapshot, basis: published.Basis, settings: tuple[Finding, ...] = ()) -> Prepared:
    """Validate, compute and name the figures; stop on errors, keep published gaps as warnings. `settings`:
    what the check of the build's settings found (the web edition's address), in the same report."""
    prepared = prepare(snapshot, basis, settings)
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
    edition: Edition,
    prepared: Prepared,
    charts: dict[str, DrawnChart],
    revision: record.Revision,
    web_url: str | None = None,
) -> str:
    """Fill the brochure templates (`web_url`: the web edition's address, printed on the back cover)."""
    return render_html(build_context(edition, prepared, charts, revision, web_url), paths.TEMPLATES_DIR)


@task(name="render-web", cache_policy=CONTENT, on_completion=[steps.note])
def render_web_edition(
    edition: Edition,
    prepared: Prepared,
    charts: dict[str, DrawnChart],
    revision: record.Revision,
    web_url: str | None,
) -> bytes:
    """The web edition: the same context as the brochure, as one accessible HTML page linking to the PDF."""
    pdf = paths.file_name("pdf", edition.meta.region, edition.meta.year)
    font = (paths.FONTS_DIR / "Inter-Regular.otf").read_bytes()  # the charts' labels (charts/draw.py)
    page = web.web_edition(edition, prepared, charts, revision, web_url, pdf, paths.TEMPLATES_DIR, font)
    return page.encode("utf-8")


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


@task(name="print-html", cache_policy=NO_CACHE, on_completion=[steps.note])
def print_document(html: str, edition: Edition, pages: int) -> str:
    """The print shop's document: the brochure with the print stylesheet (CMYK, bleed, marks) and the blank
    pages that make its page count a multiple of 4."""
    print_profile(paths.PRINT_PROFILE)  # missing: said now (exit 3) rather than after laying every page out
    style = print_file.stylesheet(PrintColours.from_brand(edition.meta.primary, edition.meta.accent))
    return print_file.print_html(html, style, print_file.blank_pages(pages))


@task(name="lay-out-print-pages", cache_policy=CONTENT, task_run_name="print-pages-{key}", on_completion=[steps.note])
def lay_out_print_group(document: str, stubs: tuple[str, ...], key: int) -> PageGroup:
    """Lay out one group of the print file's pages (PDF/X-4); cached on its document like the brochure's."""
    return lay_out_pages(document, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], stubs, print_file.PRINT_VARIANT)


@task(name="print-pdf", cache_policy=NO_CACHE, on_completion=[steps.note])
def bind_print_pdf(printed: Brochure, brochure: Brochure, edition: Edition) -> bytes:
    """Bind the print file (PDF/X-4, the CMYK output profile embedded), after checking its pages are the
    brochure's plus the blank ones."""
    profile = print_profile(paths.PRINT_PROFILE)
    print_file.check_same_pages(brochure, printed, print_file.blank_pages(brochure.pages))
    created = dt.datetime(edition.meta.year + 1, 1, 1, tzinfo=dt.UTC)
    return print_file.bind(printed.groups, profile, [paths.FONTS_DIR], created)


@task(name="mark-draft", cache_policy=NO_CACHE, on_completion=[steps.note])
def mark_draft_copy(printed: PrintedPdf) -> bytes:
    """The reviewers' copy: the brochure approval will publish, marked "PROJET — ne pas diffuser"."""
    return draft_mark.mark_draft(printed.published)


@task(name="data-package", cache_policy=NO_CACHE, on_completion=[steps.note])
def build_data_package(edition: Edition, prepared: Prepared, revision: int, built_at: str) -> bytes:
    """The open-data package (tables as CSV and XLSX, datapackage.json), dated by the revision's record."""
    return edition_package(edition, prepared, revision, dt.datetime.fromisoformat(built_at))


@task(name="record-draft", cache_policy=NO_CACHE, on_completion=[steps.note])
def record_draft(
    outputs: Path,
    edition: Edition,
    number: int,
    files: dict[str, bytes],
    entry: record.RevisionRecord,
    results: list[str],
    launched_by: str,
    launched_from: str,
    detail: str,
) -> tuple[RevisionEntry, str | None]:
    """Record the new revision as a draft: its files (by role: brochure, archival copy, marked copy and the
    other forms) stored, one commit holding the draft, the build's audit line and the approvers' notice,
    views regenerated. The brochure's SHA-256 is recorded now: approval publishes exactly these bytes.
    Returns the draft, and what did not complete when the views could not all be rewritten after the commit
    (the draft stands: `fir repair` rewrites them)."""
    from flows.operations import after_commit_message

    meta = edition.meta
    catalogue = store.open_catalogue(outputs)
    target = f"{meta.region} {meta.year}"

    def in_transaction(conn: Connection, draft: RevisionEntry) -> None:
        audit.record(conn, launched_by, launched_from, audit.BUILD, target, audit.OK, detail)
        outbox.enqueue(conn, notify.draft_ready(catalogue, meta.region, meta.year, meta.region_name, draft, conn))

    try:
        draft = catalogue.record_draft(
            meta.region,
            meta.year,
            meta.region_name,
            number,
            files,
            entry.as_json(),
            results,
            launched_by,
            in_transaction,
        )
    except store.ViewsNotUpdated as exc:
        if exc.entry is None:
            raise
        get_run_logger().warning("%s", after_commit_message(exc, outputs))
        return exc.entry, after_commit_message(exc, outputs)
    return draft, None


@task(name="notify-approvers", cache_policy=NO_CACHE, on_completion=[steps.note])
def notify_approvers(outputs: Path) -> list[str]:
    """Send what the draft's commit owes (the approvers' e-mail, the run's artifact) and anything older still
    owed; returns why what is still owed waits (an SMTP server down: sent later, by the service or `fir repair`)."""
    delivery = outbox.deliver(store.open_catalogue(outputs).engine)
    return delivery.waiting


@task(name="collect-garbage", cache_policy=NO_CACHE, on_completion=[steps.note])
def collect_garbage(outputs: Path) -> None:
    """A bounded pass over Prefect's persisted results (`fir gc` does the whole store)."""
    from prefect.settings import get_current_settings

    keep = store.open_catalogue(outputs).results_needed()
    folder = Path(get_current_settings().results.local_storage_path)
    gc.prune_results(folder, keep, gc.RESULTS_MAX_AGE_S, gc.RESULTS_MAX_BYTES, limit=gc.PASS_LIMIT)


@task(name="report", cache_policy=NO_CACHE, on_completion=[steps.note])
def report_run(region: str, year: int, revision: int, prepared: Prepared) -> None:
    """Prefect artifacts: a link to the draft's review page, a table of key figures and warnings."""
    from prefect.artifacts import create_link_artifact, create_table_artifact

    key = f"fir-{region}-{year}"
    create_link_artifact(
        key=key,
        link=f"{notify.portal_url()}/staff/drafts/{region}/{year}/{revision}",
        link_text=f"FIR {year} {region}, projet de révision {revision}",
        description="Relire et approuver le projet (portail, accès du personnel)",
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


def _on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """A run launched from the portal or the schedule failed: tell the editors, in plain words."""
    parameters = flow_run.parameters or {}
    if not parameters.get("notify_failure"):
        return  # on the command line, the person who ran it reads the error
    error = state.result(raise_on_failure=False)
    outputs = Path(parameters.get("outputs") or paths.OUTPUTS_DIR)
    catalogue = store.open_catalogue(outputs)
    region, year = parameters.get("region", "?"), parameters.get("year", 0)
    notify.run_failed(
        catalogue,
        region,
        year,
        notify.plain_error(error) if isinstance(error, BaseException) else str(state.message or "erreur inconnue"),
        str(flow_run.id),
        _recorded_by(catalogue, region, year, str(flow_run.id)),
    )


def _recorded_by(catalogue: store.Catalogue, region: str, year: int, run_id: str) -> int | None:
    """The revision run `run_id` recorded, if it went that far (a failure then never says « nothing made »)."""
    try:
        history = catalogue.history(region, year, statuses=None)
    except Exception:
        return None
    found = [e["revision"] for e in (history or {"revisions": []})["revisions"] if e.get("run_id") == run_id]
    return found[-1] if found else None


def _launched_from() -> str:
    """Where a build's audit line says it came from: this machine's command line, or the service (a run of
    one of its deployments: the portal's launches, the annual schedule)."""
    from prefect.runtime import deployment

    if deployment.get_id():
        return f"service fir serve ({socket.gethostname()})"[:64]
    return audit.command_line_address()


def _audit_build(outputs: Path, who: str, where: str, region: str, year: int, error: BaseException) -> None:
    """The audit line of a build that recorded nothing: refused (a correction without its reason) or failed,
    with why; none when there is no catalogue to write it in (inputs refused before anything was stored),
    nor when the run's draft is recorded (its line is in the draft's commit)."""
    from flows.edition.publish import database

    if isinstance(error, revisions.ReasonRequired):
        outcome, detail = audit.REFUSED, str(error)
    elif isinstance(error, InputError):
        outcome, detail = audit.FAILED, "données invalides"
    else:
        outcome, detail = audit.FAILED, notify.plain_error(error)
    try:
        if not database.catalogue_exists(outputs):
            return
        catalogue = store.open_catalogue(outputs)
        if _recorded_by(catalogue, region, year, str(flow_run.get_id())) is None:
            audit.record(catalogue.engine, who, where, audit.BUILD, f"{region} {year}", outcome, detail)
    except Exception as exc:  # the catalogue is what failed: the run's own error says so
        get_run_logger().warning("Ligne du journal d'audit non écrite : %s", exc)


@flow(name="fir-brochure", log_prints=True, on_failure=[_on_failure])
def build_brochure(
    region: str = "hauts-de-france",
    year: int = 2024,
    inputs: str | None = None,
    outputs: str | None = None,
    reason: str | None = None,
    trigger: str = revisions.MANUAL,
    force: bool = False,
    lock_timeout: float = store.LOCK_TIMEOUT_S,
    launched_by: str | None = None,
    notify_failure: bool = False,
    launched_from: str | None = None,
) -> BuildResult:
    """Build the FIR brochure of one region and year as a draft revision awaiting sign-off. `launched_by`:
    the account (portal) or system user (command line) who asked; `notify_failure`: e-mail the editors if it fails
    (runs launched from the portal or the schedule); `launched_from`: where, for the audit line (default:
    this machine's command line, or the service for its deployments' runs). Every build writes its audit
    line: with the draft's commit, or, when nothing is recorded, once it is over."""
    runtime.pace_garbage_collector()  # scheduled and national runs do not go through the command line
    outputs_dir = Path(outputs) if outputs else paths.OUTPUTS_DIR
    who = launched_by or (revisions.SCHEDULER if trigger == revisions.SCHEDULED else audit.system_user())
    where = launched_from or _launched_from()
    try:
        return _build(region, year, inputs, outputs_dir, reason, trigger, force, lock_timeout, who, where)
    except BaseException as exc:
        _audit_build(outputs_dir, who, where, region, year, exc)
        raise


def _build(
    region: str,
    year: int,
    inputs: str | None,
    outputs_dir: Path,
    reason: str | None,
    trigger: str,
    force: bool,
    lock_timeout: float,
    who: str,
    where: str,
) -> BuildResult:
    snapshot = take_snapshot(Path(inputs) if inputs else paths.INPUTS_DIR, region, year)
    edition = snapshot.edition
    catalogue = store.open_catalogue(outputs_dir)
    with catalogue.lock(region, year, lock_timeout, _say_waiting):
        recover_store(outputs_dir, region, year)
        decision, manifest = decide_revision(outputs_dir, edition, reason, trigger, force)
        get_run_logger().info("%s %s : %s", region, year, decision.message)
        if not decision.build:
            try:
                engine = catalogue.engine
                audit.record(engine, who, where, audit.BUILD, f"{region} {year}", audit.OK, decision.message)
            except Exception as exc:  # nothing was built: the line is missing, the run is not a failure
                get_run_logger().warning("Ligne du journal d'audit non écrite : %s", exc)
            return BuildResult(
                paths.brochure_path(outputs_dir, region, year), decision.revision, False, decision.message
            )
        # the web edition's address the brochure prints: a public one, or none (validate/address.py)
        address = printed_address(edition.meta.web_url, os.environ, region, year)
        settings = (*address.findings, *website_findings(edition.meta.website, region, year))
        prepared = prepare_edition(snapshot, revisions.latest_basis(manifest), settings)
        charts = {
            key: draw_chart(key=key, data=data, primary=edition.meta.primary)
            for key, data in chart_data(prepared.figures)
        }
        revision = record.revision(decision, manifest, edition, prepared)
        html = render_brochure_html(edition, prepared, charts, revision, address.url)
        web_page = render_web_edition(edition, prepared, charts, revision, address.url)
        brochure = paginate.paginate(html, lambda document, stubs, first: lay_out_group(document, stubs, key=first))
        printed = bind_pdf(brochure, edition)
        marked = mark_draft_copy(printed)
        print_html = print_document(html, edition, brochure.pages)
        for_print = paginate.paginate(  # the same pages: each group laid out once, at once with its page numbers
            print_html, lambda doc, stubs, first: lay_out_print_group(doc, stubs, key=first), brochure.page_numbers
        )
        report = report_lines(edition, prepared.report)
        carried = carryover.review(Path(inputs) if inputs else paths.INPUTS_DIR, outputs_dir, edition, create=True)
        if carried is not None:  # what it still carries over from an earlier edition, to confirm before approval
            options = carryover.command_options(Path(inputs) if inputs else paths.INPUTS_DIR, outputs_dir)
            report += carried.lines(region, year, options)
        entry = record.revision_record(
            revision,
            trigger,
            edition,
            prepared,
            printed.pages,
            dt.datetime.now(TIMEZONE),
            code_version(),
            brochure.page_numbers,
            tuple(report),
        )
        run_id = str(flow_run.get_id())
        web_address = WebAddressEntry(url=address.url, setting=address.setting)
        carried_over = carryover.as_record(carried)
        entry = dataclasses.replace(entry, run_id=run_id, carried_over=carried_over, web_address=web_address)
        results = steps.results_of(run_id)
        files = {
            "pdf": printed.published,
            "archive": printed.archival,
            "draft": marked,
            "print": bind_print_pdf(for_print, brochure, edition),
            "web": web_page,
            "data": build_data_package(edition, prepared, decision.revision, entry.published_at),
        }
        detail = f"{decision.message} ; motif : {reason or '—'}"
        # Marked from before the commit to the last step: a build killed in between is told by the next command.
        mark = builds.begin(store.edition_dir(catalogue.outputs, region, year), decision.revision)
        try:
            _, views_left = record_draft(
                outputs_dir, edition, decision.revision, files, entry, results, who, where, detail
            )
        except BaseException:
            builds.end(mark)
            raise
    # The draft is recorded (with its audit line and its notice): what follows may fail, never the run.
    incomplete = [views_left] if views_left else []
    try:
        owed = _after_draft(outputs_dir, region, year, decision.revision, prepared, incomplete)
    finally:
        builds.end(mark)
    return BuildResult(
        paths.draft_path(outputs_dir, region, year, decision.revision),
        decision.revision,
        True,
        decision.message,
        printed.pages,
        printed.warnings,
        entry.erratum,
        report,
        catalogue.where,
        incomplete,
        owed,
    )


def _after_draft(
    outputs: Path, region: str, year: int, number: int, prepared: Prepared, incomplete: list[str]
) -> list[str]:
    """The steps after the draft's commit: its notice sent, the run's report, a clean-up pass. Each that
    fails is added to `incomplete`, said as it is (the draft stands); returns why notices still wait."""
    from flows.commands import suggest
    from flows.operations import cause_in_words

    logger = get_run_logger()
    recorded = f"projet de révision {number} de {region} {year} enregistré"
    owed: list[str] = []
    try:
        owed = notify_approvers(outputs)
    except Exception as exc:
        owed = [cause_in_words(exc)]
    if owed:
        logger.warning("%s ; notification des approbateurs en attente (%s)", recorded, owed[0])
    steps_after = (
        (lambda: report_run(region, year, number, prepared), "rapport de l'exécution (artefacts Prefect) non créé"),
        (
            lambda: collect_garbage(outputs),
            f"nettoyage des résultats Prefect non fait (« {suggest('gc', outputs=outputs)} » le fera)",
        ),
    )
    for step, what in steps_after:
        try:
            step()
        except Exception as exc:
            incomplete.append(f"{recorded[0].upper()}{recorded[1:]} ; {what} : {cause_in_words(exc)}.")
            logger.warning("%s", incomplete[-1])
    return owed
