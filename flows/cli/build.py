"""`fir build`, `fir check` and `fir confirm`: validate an edition, build its draft, confirm what it carries over."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from flows import prefect_api, runtime, service
from flows.cli.common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_OPERATIONAL,
    EXIT_USAGE,
    edition_args,
    prepare_staff_run,
)

if TYPE_CHECKING:
    from flows.brochure import BuildResult
    from flows.edition.ingest.snapshot import Edition
    from flows.steps import Steps


def add_build(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir build`: its arguments."""
    build = sub.add_parser(
        "build", help="valider et construire la brochure d'une édition, en projet à faire approuver avant publication"
    )
    edition_args(build)
    build.add_argument("--reason", help="motif de la nouvelle publication (obligatoire si l'édition est déjà publiée)")
    build.add_argument(
        "--force",
        action="store_true",
        help="construire une nouvelle révision même si les données n'ont pas changé (ex. correction de mise en page)",
    )
    build.add_argument(
        "--lock-timeout",
        type=float,
        default=3600,
        help="secondes d'attente au plus si une autre construction de la même édition est en cours (défaut : 3600)",
    )
    build.add_argument("--timings", type=Path, help="écrire la durée de chaque étape dans ce fichier JSON (mesures)")
    build.set_defaults(handler=cmd_build)


def add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir check`: its arguments."""
    check = sub.add_parser("check", help="valider les données d'une édition sans construire")
    edition_args(check)
    check.set_defaults(handler=cmd_check)


def add_confirm(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir confirm`: its arguments."""
    confirm = sub.add_parser(
        "confirm",
        help="confirmer avoir relu et mis à jour les textes, nombres et tableaux repris de l'édition précédente "
        "(fir check les liste)",
    )
    edition_args(confirm)
    confirm.add_argument(
        "files", nargs="*", metavar="FICHIER", help="fichier relu, ex. texts/actions/p2-msp.md (plusieurs possibles)"
    )
    confirm.add_argument("--all", action="store_true", help="confirmer tous les fichiers de la liste")
    confirm.set_defaults(handler=cmd_confirm)


def cmd_check(args: argparse.Namespace) -> int:
    from flows.edition.ingest.snapshot import read_snapshot
    from flows.edition.publish import store
    from flows.pipeline import graph

    snapshot = read_snapshot(args.inputs, args.region, args.year)
    # The build's own steps up to its report: what the latest publication printed decides which published
    # values still hold; the web address is the one a build would print in this environment.
    published = store.existing_history(args.outputs, args.region, args.year)
    inputs = {"snapshot": snapshot, "environ": dict(os.environ), "published": published}
    values = graph.run(inputs, graph.call, until="report")
    print("\n".join(values["report"]))
    _print_carried_over(args, snapshot.edition)
    return EXIT_INPUT if values["prepared"].report.errors else EXIT_OK


def _print_carried_over(args: argparse.Namespace, edition: Edition) -> None:
    """What the edition still carries over unchanged from an earlier one, to confirm (flows/carryover.py)."""
    from flows import carryover

    found = carryover.review(args.inputs, args.outputs, edition)
    if found is not None:
        options = carryover.command_options(args.inputs, args.outputs)
        print("\n".join(found.lines(args.region, args.year, options)))


def cmd_confirm(args: argparse.Namespace) -> int:
    """Record that a person re-read the files carried over from the earlier edition (flows/carryover.py)."""
    from flows import carryover
    from flows.edition.ingest.snapshot import read_edition

    edition = read_edition(args.inputs, args.region, args.year)
    return carryover.confirm_files(args.inputs, args.outputs, edition, args.files, args.all)


def _decided_early(args: argparse.Namespace) -> bool:
    """Inputs unchanged: said before Prefect, WeasyPrint or Polars is imported (True). Otherwise the build's
    worker processes are started now, loading while this process imports Prefect what the build's first parts
    need: plotnine for a first build's charts, what a layout needs for a correction's pages."""
    from flows import unchanged

    early = unchanged.build_from_command_line(
        args.region, args.year, args.inputs, args.outputs, args.reason, args.force, args.timings
    )
    if early.unchanged is not None:
        return True
    from flows.pipeline import workers

    workers.start_early(warm="pages" if early.revised else "build")
    return False


def cmd_build(args: argparse.Namespace) -> int:
    if _decided_early(args):
        return EXIT_OK
    service.use_running_service()  # before any Prefect import: a running `fir serve` spares the temporary server
    service.protect_temporary_server()  # else the temporary server asks for credentials too
    prefect_api.check()  # a server that does not answer, said before anything is built
    prefect_api.limit_retries()
    started = time.perf_counter()
    prepare_staff_run()
    from prefect.settings import temporary_settings

    from flows.brochure import ValidationFailed, build_brochure
    from flows.edition.publish import revisions
    from flows.notices import audit
    from flows.steps import record_steps

    runtime.freeze_imported()  # the modules live as long as the command: no collection walks them again
    user = audit.system_user()

    lost: Exception | None = None  # the Prefect API, lost once the build's body was over
    try:
        # No heartbeats for a build run from the command line: the first is sent at start and the next
        # only after 180 s, so they say nothing about a run of seconds, while stopping the heartbeat
        # thread makes Prefect wait up to 1 s at the end of every run. Scheduled runs keep them.
        with (
            runtime.temporary_server_logged_aside(),
            record_steps() as steps,
            temporary_settings(updates={"flows.heartbeat_frequency": None}),
            prefect_api.loss_told_once(),
            runtime.said_at_the_end(),
        ):
            result = build_brochure(
                region=args.region,
                year=args.year,
                inputs=str(args.inputs),
                outputs=str(args.outputs),
                reason=args.reason,
                force=args.force,
                lock_timeout=args.lock_timeout,
                launched_by=user,
            )
    except ValidationFailed as exc:  # the build's audit line is the flow's (flows/brochure.py), as every build's
        print("\n".join(exc.lines))
        print("\nRien n'a été publié.", file=sys.stderr)
        return EXIT_INPUT
    except revisions.ReasonRequired as exc:
        print(f"Rien n'a été publié : {exc}.", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        lost, result = exc, _built_before_losing_the_api(exc)
    return _say_built(args, result, steps, time.perf_counter() - started, lost)


def _say_built(
    args: argparse.Namespace, result: BuildResult, steps: Steps, seconds: float, lost: Exception | None
) -> int:
    """What the build did, and what did not complete after its draft was recorded (`lost`: the Prefect API,
    gone once the build's body was over): the command's exit code."""
    if not result.published:  # nothing built: nothing recorded either
        _print_result(result, steps.cached, args, seconds)
        if args.timings:
            args.timings.write_text(json.dumps({**steps.seconds, "command": seconds}), encoding="utf-8")
        if lost is not None:  # nothing recorded: only the run's end is missing from Prefect
            prefect_api.leave_if_lost(lost, EXIT_OK)
        return EXIT_OK
    recorded = f"projet de révision {result.revision} de {args.region} {args.year} enregistré"
    said = f"{recorded[0].upper()}{recorded[1:]}"
    try:  # the draft is recorded: whatever fails now says so, never « nothing changed »
        _print_result(result, steps.cached, args, seconds)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        from flows.edition.publish.errors import AfterCommit

        raise AfterCommit(recorded, "compte rendu de la construction non affiché", exc, "fir drafts le liste") from exc
    incomplete = list(result.incomplete)
    if args.timings:  # the benchmark reads the steps' durations here
        try:
            args.timings.write_text(json.dumps({**steps.seconds, "command": seconds}), encoding="utf-8")
        except OSError as exc:
            from flows.operations import cause_in_words

            incomplete.append(f"{said} ; durées des étapes non écrites ({cause_in_words(exc)}).")
    for line in result.owed[:1]:
        print(
            f"{said} ; notification des approbateurs en attente ({line}) : le service (fir serve) ou "
            f"« {_suggest('repair', outputs=args.outputs)} » l'enverra.",
            file=sys.stderr,
        )
    if lost is not None:
        from flows.operations import cause_in_words

        incomplete.append(
            f"{said} ; suivi de l'exécution dans Prefect incomplet ({cause_in_words(lost)}) : rien à refaire, "
            "le projet et ses fichiers sont complets."
        )
    for line in incomplete:
        print(line, file=sys.stderr)
    if lost is not None:
        prefect_api.leave_if_lost(lost, EXIT_OPERATIONAL)
    return EXIT_OPERATIONAL if incomplete else EXIT_OK


def _built_before_losing_the_api(exc: Exception) -> BuildResult:
    """The build's result when `exc` is Prefect failing to report the end of a build whose body was over (its
    API gone meanwhile); anything else is raised again, the API's loss before the end said as such."""
    from flows import brochure
    from flows.operations import RESTART_PREFECT, prefect_api_failed, prefect_server

    if not prefect_api_failed(exc):
        raise exc
    result = brochure.finished()
    if result is None:
        raise prefect_api.ApiUnavailable(
            f"le {prefect_server()} a cessé de répondre pendant la construction : elle n'est pas allée au bout et "
            f"rien n'a été enregistré. {RESTART_PREFECT}. Rien de ce qui était publié n'a changé."
        ) from exc
    return result


def _suggest(*words: object, outputs: Path | None = None) -> str:
    from flows.commands import suggest

    return suggest(*words, outputs=outputs)


def _print_result(result: BuildResult, cached: list[str], args: argparse.Namespace, seconds: float) -> None:
    from flows.commands import suggest
    from flows.edition.french import format_seconds

    if result.report:
        print("\n".join(result.report) + "\n")
    if not result.published:
        from flows.unchanged import standing

        now = standing(args.outputs, args.region, args.year, result.revision)
        print(f"{result.message[0].upper()}{result.message[1:]}. {now}")
        return
    print(f"{result.message[0].upper()}{result.message[1:]}, en attente d'approbation :")
    for warning in result.render_warnings:
        print(f"  [mise en page] {warning}")
    if cached:
        from flows.steps import cached_in_words

        print(f"Reprises du cache (inchangées depuis une construction précédente) : {cached_in_words(cached)}")
    if result.erratum:
        count = len(result.erratum)
        print(
            f"Erratum de la révision {result.revision} ({count} chiffre{'s' if count > 1 else ''} modifié"
            f"{'s' if count > 1 else ''}) :"
        )
        for change in result.erratum:
            where = f" (p. {', '.join(map(str, change.pages))})" if change.pages else ""
            print(f"  {change.label} : {change.old} → {change.new}{where}")
    print(
        f"Projet : {result.pdf_path} — révision {result.revision} ({result.pages} pages, {format_seconds(seconds)}), "
        "marqué « PROJET — ne pas diffuser »"
    )
    print(f"Rien n'est public avant l'approbation (catalogue : {result.catalogue}). Pour publier :")
    approve = suggest("approve", args.region, args.year, result.revision, "--comment", "relu", outputs=args.outputs)
    print(f"  {approve}   (ou dans le portail)")
    from flows.edition.validate.carried_report import approval_hint

    if hint := approval_hint(result.report):
        print(hint)
