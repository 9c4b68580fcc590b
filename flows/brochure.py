"""The Prefect flow that builds one edition's brochure as a draft for sign-off: snapshot → under the
edition's lock, recover the catalogue → decide the revision → the build's graph (flows/pipeline/graph.py:
prepare, charts, HTML, page groups, the PDFs, the print file, the data package) → record the draft → tell
the approvers.

The graph's steps are Prefect tasks cached on the content of their inputs (results persisted by Prefect),
so a correction re-runs only the steps it touches; charts and page groups are made in worker processes
(flows/pipeline/workers.py). The tasks here are the build's own, around the graph: they read and write the
catalogue.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from sqlalchemy.engine import Connection

from flows import carryover, paths, prefect_api, runtime, steps
from flows.edition.errors import InputError
from flows.edition.ingest.snapshot import Edition, Snapshot, read_snapshot
from flows.edition.prepare import Prepared
from flows.edition.publish import builds, gc, input_versions, launcher, record, revisions, store
from flows.edition.publish.errors import Holder
from flows.edition.publish.manifest import Manifest, RevisionEntry
from flows.notices import audit, notify, outbox
from flows.pipeline import history, tasks, workers
from flows.pipeline.nodes import ValidationFailed
from flows.version import code_version

TIMEZONE = ZoneInfo("Europe/Paris")
__all__ = ["BuildResult", "ValidationFailed", "build_brochure"]


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
    every, published = history.read(store.open_catalogue(outputs), edition.meta.region, edition.meta.year)
    return revisions.decide(every, edition.checksums, reason, trigger, force), published


@task(name="record-inputs", cache_policy=NO_CACHE, on_completion=[steps.note])
def record_inputs(outputs: Path, inputs: Path, snapshot: Snapshot, who: str, where: str) -> dict[str, Any]:
    """The versions of the inputs the build read (publish/input_versions.py): the edition's — its files as the
    snapshot read them — and each earlier edition's it compares with; a new version where the files changed
    since the latest. The revision's record names them (its keyword arguments): `fir rebuild` reads them back."""
    catalogue = store.open_catalogue(outputs)
    meta = snapshot.edition.meta
    read = {file.source: file.data for file in snapshot.edition.files}
    message = "fichiers lus par la construction"

    def version_of(year: int, bytes_read: dict[str, bytes]) -> int:
        made = input_versions.record_working_copy(
            catalogue.engine, outputs, inputs, meta.region, year, who, where, message, bytes_read
        )
        return made.number

    earlier = {
        str(year): version_of(year, {file.source: file.data for file in files})
        for year, files in sorted(snapshot.earlier_files.items())
    }
    return {"input_version": version_of(meta.year, read), "earlier_inputs": earlier}


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

    prefect_api.unless_lost("rapport de l'exécution")  # seconds of retries for nothing
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
    """Where a build's audit line says it came from (publish/launcher.py), from this run's deployment: read in
    the run's context. (`prefect.runtime.deployment.get_id()` asks the API for the flow run of a run without
    a deployment, the command line's: a call per build, and a build that fails when the API is gone.)"""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    run = context.flow_run if context is not None else None
    deployment = str(run.deployment_id) if run is not None and run.deployment_id is not None else None
    return launcher.launched_from(deployment, socket.gethostname(), audit.command_line_address())


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
    who = launcher.launched_by(launched_by, trigger, audit.system_user())
    where = launched_from or _launched_from()
    _finished.clear()
    try:
        # The workers start with the run: they load plotnine and WeasyPrint while the figures are read.
        with workers.for_build():
            result = _build(region, year, inputs, outputs_dir, reason, trigger, force, lock_timeout, who, where)
    except BaseException as exc:
        _audit_build(outputs_dir, who, where, region, year, exc)
        raise
    _finished.append(result)
    return result


# The result of the build this process ran last, once its body is over: Prefect may still fail afterwards,
# reporting the run's end to an API that is gone, and the command line then says what the build recorded.
_finished: list[BuildResult] = []


def finished() -> BuildResult | None:
    """What the last build run in this process returned, if its body went to the end."""
    return _finished[-1] if _finished else None


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
    inputs_dir = Path(inputs) if inputs else paths.INPUTS_DIR
    snapshot = take_snapshot(inputs_dir, region, year)
    edition = snapshot.edition
    catalogue = store.open_catalogue(outputs_dir)
    with catalogue.lock(region, year, lock_timeout, _say_waiting):
        recover_store(outputs_dir, region, year)
        decision, manifest = decide_revision(outputs_dir, edition, reason, trigger, force)
        get_run_logger().info("%s %s : %s", region, year, decision.message)
        if not decision.build:
            return _nothing_built(outputs_dir, catalogue, decision, who, where, region, year)
        built_at = dt.datetime.now(TIMEZONE)
        values = _run_graph(snapshot, manifest, decision, built_at, history.earlier_pages(catalogue, region, year))
        carried, carried_lines = carryover.report_lines(inputs_dir, outputs_dir, edition, create=True)
        report = [*values["report"], *carried_lines]  # carried over from an earlier edition: to confirm
        run_id = str(flow_run.get_id())
        entry = record.revision_record(
            values["revision"],
            trigger,
            edition,
            values["valid"],
            values["pdf"].pages,
            built_at,
            code_version(),
            values["brochure"].page_numbers,
            tuple(report),
            run_id=run_id,
            carried_over=carryover.as_record(carried),
            web_address=values["web_address"],
            **record_inputs(outputs_dir, inputs_dir, snapshot, who, where),
        )
        detail = launcher.build_detail(decision.message, reason)
        # Marked from before the commit to the last step: a build killed in between is told by the next command.
        mark = builds.begin(store.edition_dir(catalogue.outputs, region, year), decision.revision)
        try:
            _, views_left = record_draft(
                outputs_dir,
                edition,
                decision.revision,
                values["files"],
                entry,
                steps.results_of(run_id),
                who,
                where,
                detail,
            )
        except BaseException:
            builds.end(mark)
            raise
    # The draft is recorded (with its audit line and its notice): what follows may fail, never the run.
    incomplete = [views_left] if views_left else []
    try:
        owed = _after_draft(outputs_dir, region, year, decision.revision, values["valid"], incomplete)
    finally:
        builds.end(mark)
    printed = values["pdf"]
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


def _run_graph(
    snapshot: Snapshot,
    published: Manifest | None,
    decision: revisions.Decision,
    built_at: dt.datetime,
    earlier_pages: dict[str, int] | None,
) -> dict[str, Any]:
    """Every value of the build's graph, its charts and page groups made in the build's worker processes."""
    values: dict[str, Any] = {
        "snapshot": snapshot,
        "environ": dict(os.environ),
        "published": published,
        "decision": decision,
        "built_at": built_at.isoformat(timespec="seconds"),
        "layout_hint": None,
        "earlier_pages": earlier_pages,
    }
    run = tasks.FlowRun()
    try:
        return run.run(values)
    finally:
        run.wait()


def _nothing_built(
    outputs: Path,
    catalogue: store.Catalogue,
    decision: revisions.Decision,
    who: str,
    where: str,
    region: str,
    year: int,
) -> BuildResult:
    """The inputs are those of the latest revision: its audit line, and the current publication."""
    try:
        audit.record(catalogue.engine, who, where, audit.BUILD, f"{region} {year}", audit.OK, decision.message)
    except Exception as exc:  # nothing was built: the line is missing, the run is not a failure
        get_run_logger().warning("Ligne du journal d'audit non écrite : %s", exc)
    return BuildResult(paths.brochure_path(outputs, region, year), decision.revision, False, decision.message)


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
            logger.warning("%s", incomplete[-1], extra=runtime.SAID_AT_THE_END)  # `fir build` says it at its end
    return owed
