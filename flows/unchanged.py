"""A build whose inputs have not changed since the edition's latest revision, decided before anything heavy
is imported or laid out: no Prefect, WeasyPrint, plotnine, matplotlib nor Polars is loaded to say « données
inchangées » (they cost about 2.5 s of a no-change run, measured in bench/run.py).

The decision is the flow's own (`revisions.decide`, on every revision of the edition), made on the same
inputs' checksums (read without parsing the figures: ingest/checksums.py), under the edition's lock, after
the same recovery of interrupted runs, with the same audit line and the same words. What it cannot settle
cheaply is left to the full build, which decides again under the lock as it always did: a first build (no
catalogue), `--force`, inputs changed (a correction, with or without its reason), inputs the snapshot must
read to say what is wrong, the edition held by another run (the full build waits for it and says so), a
catalogue that cannot be opened or recovered (the full build says why, with its audit line).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flows import paths
from flows.edition.ingest.checksums import edition_checksums
from flows.edition.publish import revisions

if TYPE_CHECKING:
    from flows.edition.publish import store
    from flows.edition.publish.store import Recovery

AUDIT_NOT_WRITTEN = "Ligne du journal d'audit non écrite : {}"


@dataclass(frozen=True)
class EarlyDecision:
    """What a run found before building anything: what the recovery did (said as warnings), and the decision
    when there is nothing to build (None: the full build decides)."""

    warnings: tuple[str, ...] = ()
    unchanged: revisions.Decision | None = None
    seconds: tuple[tuple[str, float], ...] = ()  # how long each part took, named as the flow's steps
    report: tuple[str, ...] = ()  # the validation report the latest revision recorded (its inputs are these)
    revised: bool = False  # the edition has a revision already: the build to come is a correction


def decide_early(
    inputs: Path,
    outputs: Path,
    region: str,
    year: int,
    reason: str | None,
    trigger: str,
    who: str,
    where: str,
    force: bool = False,
) -> EarlyDecision:
    """Decide whether the run builds anything, from the inputs' checksums and the catalogue, without
    importing anything heavy (`force`: it does, nothing is read). When nothing is to build, the build's audit
    line is written (as the flow writes it): the run is over. Never raises for the full build's reasons to
    fail: it leaves them to it. The flow may call it first too, before its snapshot."""
    if force:
        return EarlyDecision()
    from flows.edition.publish import database

    timings: list[tuple[str, float]] = []
    started = time.perf_counter()
    checksums = edition_checksums(inputs, region, year)
    timings.append(("snapshot", time.perf_counter() - started))
    if checksums is None or not database.catalogue_exists(outputs):
        return EarlyDecision(seconds=tuple(timings))
    from flows.edition.publish import store

    with contextlib.ExitStack() as held:
        try:
            catalogue = store.open_catalogue(outputs)
            # Not waiting: another run holding the edition is waited for by the full build, which says so.
            held.enter_context(catalogue.lock(region, year, timeout=0))
        except Exception:  # held, or a catalogue that cannot be opened: the full build says why (exit 3)
            return EarlyDecision(seconds=tuple(timings))
        warnings: tuple[str, ...] = ()
        try:
            started = time.perf_counter()
            warnings = tuple(recovery_warnings(catalogue.recover(region, year), outputs, region, year))
            timings.append(("recover", time.perf_counter() - started))
            started = time.perf_counter()
            history = catalogue.history(region, year, statuses=None)
            decision = revisions.decide(history, checksums, reason, trigger)
            timings.append(("decide-revision", time.perf_counter() - started))
        except Exception:  # a correction without its reason, a recovery that failed: the full build says it
            return EarlyDecision(warnings, seconds=tuple(timings))
        if decision.build:
            return EarlyDecision(warnings, seconds=tuple(timings), revised=revisions.latest(history) is not None)
        written = _audit_unchanged(catalogue, who, where, region, year, decision)
        latest = revisions.latest(history)
        report = tuple(latest.get("report", ())) if latest else ()
        return EarlyDecision((*warnings, *written), decision, tuple(timings), report)


def _audit_unchanged(
    catalogue: store.Catalogue, who: str, where: str, region: str, year: int, decision: revisions.Decision
) -> list[str]:
    """The audit line of a build that found nothing to build (the flow's own); a warning when not written."""
    from flows.notices import audit

    try:
        audit.record(catalogue.engine, who, where, audit.BUILD, f"{region} {year}", audit.OK, decision.message)
    except Exception as exc:  # nothing was built: the line is missing, the run is not a failure
        return [AUDIT_NOT_WRITTEN.format(exc)]
    return []


def recovery_warnings(recovery: Recovery, outputs: Path, region: str, year: int) -> list[str]:
    """What a recovery did to the edition, each said as a warning (the flow's recover step says the same)."""
    from flows.edition.publish import builds

    said = []
    if recovery.imported:
        said.append(f"Révisions importées dans le catalogue : {', '.join(map(str, recovery.imported))}")
    if recovery.from_records or recovery.decisions:
        numbers = ", ".join(map(str, sorted({*recovery.from_records, *recovery.decisions})))
        said.append(f"Catalogue plus ancien que les fichiers : révisions {numbers} reprises des enregistrements")
    said += [f"Fichier laissé par une exécution interrompue, supprimé : {path}" for path in recovery.removed]
    # a damaged object (truncated, overwritten): its intact copy took its place
    said += [f"Fichier publié altéré, rétabli depuis sa copie intacte : {path}" for path in recovery.restored]
    for number in recovery.interrupted:
        message = builds.message(region, year, number, outputs)
        said.append(f"{message[0].upper()}{message[1:]}.")
    aside = "Fichier que rien ne référence, mis en quarantaine (pas supprimé) : {}"
    said += [aside.format(path) for path in recovery.quarantined]
    said += [f"À vérifier : {problem}" for problem in recovery.problems]
    return said


def unchanged_message(decision: revisions.Decision, outputs: Path, region: str, year: int) -> str:
    """What `fir build` prints when nothing was built: why, and what stands (`standing`)."""
    message = decision.message
    return f"{message[0].upper()}{message[1:]}. {standing(outputs, region, year, decision.revision)}"


def standing(outputs: Path, region: str, year: int, revision: int) -> str:
    """What a run that built nothing points to, as it is on disk: the current publication, else the latest
    revision's draft waiting for its sign-off, else that nothing is published."""
    published = paths.brochure_path(outputs, region, year)
    if published.is_file():
        return f"Publication actuelle : {published}"
    draft = paths.draft_path(outputs, region, year, revision)
    if draft.is_file():
        return f"Rien n'est encore publié ; projet en attente d'approbation : {draft}"
    return "Rien n'est encore publié."


def build_from_command_line(
    region: str,
    year: int,
    inputs: Path,
    outputs: Path,
    reason: str | None,
    force: bool,
    timings: Path | None,
) -> EarlyDecision:
    """`fir build` when its inputs are unchanged: says so as the full build does and writes `timings` (the
    benchmark's). Returns what it found: `unchanged` is None when the full build must run (after saying what a
    recovery did)."""
    from flows.notices import audit

    started = time.perf_counter()
    who, where = audit.system_user(), audit.command_line_address()
    early = decide_early(inputs, outputs, region, year, reason, revisions.MANUAL, who, where, force)
    for warning in early.warnings:
        print(warning, file=sys.stderr)
    if early.unchanged is None:
        return early
    if early.report:  # the same inputs, the same report: said again, as the build that read them said it
        print("\n".join(early.report) + "\n")
    print(unchanged_message(early.unchanged, outputs, region, year))
    if timings:
        seconds = {**dict(early.seconds), "command": time.perf_counter() - started}
        timings.write_text(json.dumps(seconds), encoding="utf-8")
    return early
