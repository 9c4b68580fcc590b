"""`fir serve` (and its old name `fir schedule`) and `fir national`: the agency's service, many regions at once."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from flows import paths, prefect_api, service
from flows.cli.common import (
    EXIT_OK,
    EXIT_OPERATIONAL,
    PREFECT_DEFAULTS,
    prepare_staff_run,
    say_interrupted,
    say_waiting,
)
from flows.operations import operational_message, prefect_api_failed


def service_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="adresse d'écoute du portail (défaut : 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port du portail (défaut : 8000)")
    p.add_argument("--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (défaut : outputs/)")
    p.add_argument("--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)")
    p.add_argument(
        "--prefect-port",
        type=int,
        default=4200,
        help="port du serveur Prefect démarré par le service, sur 127.0.0.1 (défaut : 4200 ; "
        "sans effet si PREFECT_API_URL est donnée)",
    )


def add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir serve`: its arguments."""
    serve = sub.add_parser(
        "serve",
        help="le service de l'agence : portail de téléchargement, serveur Prefect et déploiements "
        "(annuel planifié, manuel) ; les autres commandes le trouvent d'elles-mêmes",
    )
    service_args(serve)
    serve.set_defaults(handler=cmd_serve)


def add_schedule(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir schedule`: the old name of `fir serve`."""
    schedule = sub.add_parser("schedule", help="ancien nom de « fir serve »")
    service_args(schedule)
    schedule.set_defaults(handler=cmd_schedule)


def add_national(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir national`: its arguments."""
    national = sub.add_parser("national", help="construire en parallèle les éditions de plusieurs régions")
    national.add_argument("--editions", nargs="*", help="ex. bretagne/2024 corse/2024 (défaut : toutes)")
    national.add_argument(
        "--runner",
        choices=["process", "thread", "dask"],
        default="process",
        help="où les éditions sont construites : processus, fils d'exécution ou grappe Dask (défaut : process)",
    )
    national.add_argument("--workers", type=int, default=2, help="constructions menées ensemble (défaut : 2)")
    national.add_argument("--address", help="adresse d'un ordonnanceur Dask existant (tcp://…), avec --runner dask")
    national.add_argument("--reason", help="motif, pour les éditions déjà publiées")
    national.add_argument(
        "--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)"
    )
    national.add_argument(
        "--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (défaut : outputs/)"
    )
    national.set_defaults(handler=cmd_national)


def cmd_schedule(args: argparse.Namespace) -> int:
    print("« fir schedule » s'appelle désormais « fir serve » : démarrage du service complet.", flush=True)
    return cmd_serve(args)


def cmd_national(args: argparse.Namespace) -> int:
    service.use_running_service()  # then prefect_server() below uses the running `fir serve`
    if not os.environ.get("PREFECT_API_URL"):  # prefect_server() starts one: its credentials, before Prefect reads them
        os.environ.setdefault("PREFECT_API_AUTH_STRING", service.new_auth_string())
    prefect_api.check()  # a configured server that does not answer, said before anything is built
    prefect_api.limit_retries()  # inherited by the processes that build the editions
    prepare_staff_run()
    from flows.deploy import prefect_server
    from flows.edition.french import format_number, format_seconds
    from flows.edition.publish import revisions
    from flows.national import national_run, task_runner
    from flows.notices import audit

    started, begun = time.perf_counter(), dt.datetime.now(dt.UTC)
    try:
        # Workers in other processes need an API server to report their runs to; its loss is said once.
        with prefect_server(), prefect_api.loss_told_once():
            run = national_run.with_options(task_runner=task_runner(args.runner, args.workers, args.address))
            outcomes = run(
                editions=args.editions,
                inputs=str(args.inputs),
                outputs=str(args.outputs),
                reason=args.reason,
                trigger=revisions.MANUAL if args.reason else revisions.SCHEDULED,
                launched_by=audit.system_user(),
            )
    except Exception as exc:
        if prefect_api_failed(exc):  # the batch's outcomes are lost with its run: what it recorded, from the catalogue
            _say_recorded_since(args.outputs, begun)
        raise
    for outcome in outcomes:
        print(f"  {outcome.region} {outcome.year} : {outcome.message} ({format_seconds(outcome.seconds)})")
    seconds = time.perf_counter() - started
    pace = format_number(len(outcomes) / seconds * 60, 1)
    print(f"{len(outcomes)} édition(s) en {format_seconds(seconds, 0)}, soit {pace} brochures/minute")
    return EXIT_OK


def _say_recorded_since(outputs: Path, begun: dt.datetime) -> None:
    """The drafts recorded since `begun` (by this batch), said before the command's last word on its failure."""
    from flows.edition.publish import store

    try:
        drafts = store.open_catalogue(outputs).drafts()
    except Exception:  # the catalogue unreadable too: the message that follows names `fir drafts`
        return
    found = [
        f"{region} {year} r{entry['revision']}"
        for region, year, _, entry in drafts
        if dt.datetime.fromisoformat(entry["published_at"]) >= begun
    ]
    said = f"Projets enregistrés par cette commande : {', '.join(found)}." if found else "Aucun projet enregistré."
    print(said, file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    for key, value in PREFECT_DEFAULTS.items():  # inherited by the Prefect server and the runner
        os.environ.setdefault(key, value)
    from flows import supervisor
    from flows.edition.publish import store

    # Trees written by an earlier version, or left by a killed run, are put right before anyone downloads;
    # one damaged edition is reported and does not keep the others offline.
    catalogue = store.open_catalogue(args.outputs)
    for region, year in store.editions_found(catalogue):
        try:
            with catalogue.lock(region, year, 60, say_waiting):
                recovery = catalogue.recover(region, year)
            for path in recovery.restored:
                print(f"{region} {year} : fichier altéré rétabli depuis sa copie intacte : {path}", file=sys.stderr)
            say_interrupted(recovery.interrupted, region, year, args)
        except Exception as exc:
            if (message := operational_message(exc)) is None:
                raise
            print(f"{region} {year} : {message}", file=sys.stderr)

    try:
        supervisor.run(args.host, args.port, args.prefect_port, args.inputs, args.outputs)
    except service.ServiceError as exc:
        print(f"{exc.headline} : {exc}", file=sys.stderr)
        return EXIT_OPERATIONAL
    except (KeyboardInterrupt, supervisor.Stopped):
        pass  # Ctrl-C, SIGTERM or SIGHUP: the normal way to stop a service
    print("Service arrêté.")
    return EXIT_OK
