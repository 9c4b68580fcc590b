"""The `fir` command: check, build, drafts, approve, reject, list, national, schedule, serve, repair, gc,
user, reglages, workbook and preview.

Exit codes: 0 success (warnings allowed), 1 the inputs are wrong (message says where), 2 bad usage,
3 operational trouble (disk full, permission denied, edition locked by another run; message says which path).
A user's mistake never prints a traceback; a bug in this program does.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from flows import paths, runtime, service
from flows.cli_french import FrenchParser, choice_of
from flows.edition.errors import InputError
from flows.operations import operational_message

if TYPE_CHECKING:
    from flows.brochure import BuildResult
    from flows.edition.ingest.snapshot import Edition
    from flows.edition.publish.errors import Holder
    from flows.edition.publish.store import Catalogue

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_OPERATIONAL = 0, 1, 2, 3

# Offline by design: no telemetry, and enough time for Prefect's first local database set-up.
PREFECT_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def main(argv: list[str] | None = None) -> int:
    runtime.pace_garbage_collector()  # before the heavy imports, which allocate as much as the build
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        try:
            return args.handler(args)
        except InputError as exc:
            from flows.edition.validate.missing import IncompleteEdition

            if isinstance(exc, IncompleteEdition):  # an edition being filled in: its to-do list, not errors
                print(exc)
            else:
                _print_problems(exc)
            return EXIT_INPUT
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (`fir check … | head`): nothing more to say, and no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a command ended by SIGPIPE
    except Exception as exc:
        message = operational_message(exc, getattr(args, "outputs", None))
        if message is None:
            raise  # a bug: its traceback is what a developer needs
        from flows.edition.publish.errors import AfterCommit

        # After a commit, what is now true comes first (« Révision 2 … publiée ; … »), not « impossible ».
        print(message if isinstance(exc, AfterCommit) else f"Impossible de terminer : {message}", file=sys.stderr)
        return EXIT_OPERATIONAL
    finally:
        # The work is done and written: spare the interpreter's final garbage collection over the
        # libraries' objects (Prefect, pydantic, WeasyPrint), 0.2–0.4 s per command. Exit handlers still run.
        gc.freeze()


# `fir user add --role`: the French names, and the catalogue's names kept as aliases (scripts, older notes).
ROLE_WORDS = {
    "rédacteur": "editor",
    "redacteur": "editor",
    "approbateur": "approver",
    "administrateur": "admin",
    "editor": "editor",
    "approver": "approver",
    "admin": "admin",
}


YES_NO = {"oui": "oui", "non": "non"}


def _parser() -> argparse.ArgumentParser:
    parser = FrenchParser(prog="fir", description="Brochure annuelle du Fonds d'intervention régional (FIR).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    def edition_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--region", required=True, help="région (nom du dossier, ex. hauts-de-france)")
        p.add_argument("--year", required=True, type=int, help="année de l'édition, ex. 2024")
        p.add_argument("--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)")
        p.add_argument(
            "--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (défaut : outputs/)"
        )

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

    drafts = sub.add_parser("drafts", help="lister les projets en attente d'approbation")
    drafts.add_argument("--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (catalogue)")
    drafts.set_defaults(handler=cmd_drafts)

    for action, text in (
        ("approve", "approuver un projet : il devient la publication actuelle (avec son erratum)"),
        ("reject", "rejeter un projet, en disant pourquoi : il ne sera jamais public"),
    ):
        p = sub.add_parser(action, help=text)
        p.add_argument("region", help="région (ex. hauts-de-france)")
        p.add_argument("year", type=int, help="année de l'édition")
        p.add_argument("revision", type=int, help="numéro de la révision en projet (voir fir drafts)")
        p.add_argument(
            "--comment", required=action == "reject", default="", help="commentaire (obligatoire pour un rejet)"
        )
        p.add_argument("--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (catalogue)")
        if action == "approve":
            p.add_argument(
                "--malgre-non-confirmes",
                dest="acknowledge",
                action="store_true",
                help="approuver malgré les éléments repris de l'édition précédente que personne n'a confirmés "
                "(la liste est inscrite au journal d'audit)",
            )
        p.set_defaults(handler=cmd_sign_off, approve=action == "approve")

    check = sub.add_parser("check", help="valider les données d'une édition sans construire")
    edition_args(check)
    check.set_defaults(handler=cmd_check)

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

    def service_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1", help="adresse d'écoute du portail (défaut : 127.0.0.1)")
        p.add_argument("--port", type=int, default=8000, help="port du portail (défaut : 8000)")
        p.add_argument(
            "--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (défaut : outputs/)"
        )
        p.add_argument("--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)")
        p.add_argument(
            "--prefect-port",
            type=int,
            default=4200,
            help="port du serveur Prefect démarré par le service, sur 127.0.0.1 (défaut : 4200 ; "
            "sans effet si PREFECT_API_URL est donnée)",
        )

    serve = sub.add_parser(
        "serve",
        help="le service de l'agence : portail de téléchargement, serveur Prefect et déploiements "
        "(annuel planifié, manuel) ; les autres commandes le trouvent d'elles-mêmes",
    )
    service_args(serve)
    serve.set_defaults(handler=cmd_serve)

    schedule = sub.add_parser("schedule", help="ancien nom de « fir serve »")
    service_args(schedule)
    schedule.set_defaults(handler=cmd_schedule)

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

    repair = sub.add_parser(
        "repair",
        help="réconcilier les fichiers publiés avec le catalogue : reprendre ce que les enregistrements des "
        "révisions ont de plus (révisions, projets, décisions), importer un ancien dossier outputs/, vérifier "
        "chaque fichier (SHA-256), mettre en quarantaine ce que rien ne référence, réécrire les vues, "
        "envoyer les notifications en attente",
    )
    repair.add_argument(
        "--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (défaut : outputs/)"
    )
    repair.add_argument(
        "--reconstruire-catalogue",
        dest="rebuild",
        action="store_true",
        help="catalogue endommagé : le mettre de côté (SQLite ; jamais supprimé) et le reconstruire depuis les "
        "enregistrements des révisions ; PostgreSQL : dans la base vide que nomme FIR_DATABASE_URL",
    )
    repair.add_argument("--lock-timeout", type=float, default=60, help="secondes d'attente par édition (défaut : 60)")
    repair.set_defaults(handler=cmd_repair)

    collect = sub.add_parser(
        "gc",
        help="libérer le disque : quarantaine de plus de 30 jours, résultats Prefect anciens ; dire la place occupée",
    )
    collect.add_argument(
        "--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (défaut : outputs/)"
    )
    collect.add_argument(
        "--max-age-days", type=float, default=30, help="résultats Prefect plus anciens supprimés (défaut : 30 jours)"
    )
    collect.add_argument(
        "--max-results-mb", type=float, default=2048, help="taille au-delà de laquelle les plus anciens partent"
    )
    collect.set_defaults(handler=cmd_gc)

    user = sub.add_parser("user", help="comptes du personnel (portail) : add, passwd, disable, unlock, list")
    user_sub = user.add_subparsers(dest="action", required=True, metavar="OPÉRATION")
    for action, text in (
        ("add", "créer un compte (le mot de passe est demandé deux fois)"),
        ("passwd", "changer le mot de passe d'un compte (ses sessions sont fermées)"),
        ("disable", "désactiver un compte (ses sessions sont fermées)"),
        ("unlock", "débloquer les connexions d'un identifiant freinées par des mots de passe faux"),
        ("list", "lister les comptes"),
    ):
        p = user_sub.add_parser(action, help=text)
        if action != "list":
            p.add_argument("name", help="identifiant (minuscules, ex. m.dupont)")
        if action == "add":
            p.add_argument(
                "--role",
                required=True,
                type=choice_of(ROLE_WORDS, "rôle"),
                help="rédacteur (lance les constructions), approbateur (approuve les projets) ou administrateur "
                "(tout, et les comptes)",
            )
            p.add_argument("--display-name", help="nom affiché (ex. « Marie Dupont »)")
            p.add_argument("--email", help="adresse électronique, pour les notifications")
        if action in ("add", "passwd"):
            p.add_argument(
                "--password-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard (scripts)"
            )
        p.add_argument("--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (catalogue)")
        p.set_defaults(handler=cmd_user)

    reglages = sub.add_parser(
        "reglages",
        help="réglages de l'agence (par région) : la personne qui lance une construction peut-elle approuver son "
        "projet ? Sans --auto-approbation : les afficher",
    )
    reglages.add_argument("--region", help="région (ex. hauts-de-france)")
    reglages.add_argument(
        "--auto-approbation",
        dest="self_approval",
        metavar="OUI|NON",
        type=choice_of(YES_NO, "choix"),
        help="oui : la personne qui lance la construction peut approuver son propre projet (équipe d'une personne) ; "
        "non : un autre approbateur doit le faire (règle des quatre yeux, par défaut). Inscrit au journal d'audit",
    )
    reglages.add_argument(
        "--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)"
    )
    reglages.add_argument("--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (catalogue)")
    reglages.set_defaults(handler=cmd_settings)

    workbook = sub.add_parser(
        "workbook",
        help="écrire les tableaux d'une édition dans un classeur figures.xlsx à remplir (listes déroulantes, "
        "formats, contrôle des totaux, feuille « À lire »)",
    )
    workbook.add_argument("--region", required=True, help="région (nom du dossier, ex. hauts-de-france)")
    workbook.add_argument("--year", required=True, type=int, help="année de l'édition, ex. 2024")
    workbook.add_argument(
        "--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)"
    )
    workbook.add_argument(
        "--output",
        type=Path,
        help="classeur à écrire (défaut : figures.xlsx du dossier de l'édition, s'il n'existe pas)",
    )
    workbook.add_argument("--force", action="store_true", help="remplacer le classeur s'il existe déjà")
    workbook.add_argument(
        "--from",
        dest="source",
        type=int,
        help="édition dont les chiffres sont montrés pour mémoire (défaut : la dernière avant --year)",
    )
    workbook.add_argument(
        "--ranger-csv",
        action="store_true",
        help="ne pas écrire de classeur : déplacer dans _anciens-csv/ les fichiers CSV des tableaux que "
        "figures.xlsx contient déjà (après confirmation)",
    )
    workbook.set_defaults(handler=cmd_workbook)

    new = sub.add_parser(
        "new",
        help="créer l'édition d'une nouvelle année à partir de la précédente : même structure, montants à "
        "saisir, textes à réécrire (fir check liste ce qui reste à compléter)",
    )
    new.add_argument("--region", required=True, help="région (nom du dossier, ex. hauts-de-france)")
    new.add_argument("--year", required=True, type=int, help="année de la nouvelle édition, ex. 2025")
    new.add_argument(
        "--from",
        dest="source",
        type=int,
        help="année de l'édition de départ (défaut : la dernière avant --year)",
    )
    new.add_argument("--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)")
    new.set_defaults(handler=cmd_new)

    preview = sub.add_parser(
        "preview",
        help="aperçu d'une édition dans le navigateur, mis en page de nouveau à chaque enregistrement "
        "d'un fichier de données (rien n'est publié)",
    )
    edition_args(preview)
    preview.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (défaut : 127.0.0.1)")
    preview.add_argument("--port", type=int, default=0, help="port d'écoute (défaut : un port libre)")
    preview.add_argument("--open", action="store_true", help="ouvrir l'aperçu dans le navigateur")
    preview.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processus qui mettent les pages en page côte à côte (défaut : un par cœur, jusqu'à 4 ; 0 : aucun)",
    )
    preview.set_defaults(handler=cmd_preview)

    listing = sub.add_parser("list", help="lister les éditions présentes dans les données")
    listing.add_argument("--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)")
    listing.set_defaults(handler=cmd_list)
    return parser


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


def cmd_build(args: argparse.Namespace) -> int:
    service.use_running_service()  # before any Prefect import: a running `fir serve` spares the temporary server
    service.protect_temporary_server()  # else the temporary server asks for credentials too
    started = time.perf_counter()
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    from prefect.settings import temporary_settings

    from flows.brochure import ValidationFailed, build_brochure
    from flows.edition.publish import revisions
    from flows.portal import audit
    from flows.steps import record_steps

    user = audit.system_user()

    try:
        # No heartbeats for a build run from the command line: the first is sent at start and the next
        # only after 180 s, so they say nothing about a run of seconds, while stopping the heartbeat
        # thread makes Prefect wait up to 1 s at the end of every run. Scheduled runs keep them.
        with (
            runtime.temporary_server_logged_aside(),
            record_steps() as steps,
            temporary_settings(updates={"flows.heartbeat_frequency": None}),
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
    seconds = time.perf_counter() - started
    if not result.published:  # nothing built: nothing recorded either
        _print_result(result, steps.cached, args, seconds)
        if args.timings:
            args.timings.write_text(json.dumps({**steps.seconds, "command": seconds}), encoding="utf-8")
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
    for line in incomplete:
        print(line, file=sys.stderr)
    return EXIT_OPERATIONAL if incomplete else EXIT_OK


def _suggest(*words: object, outputs: Path | None = None) -> str:
    from flows.commands import suggest

    return suggest(*words, outputs=outputs)


def _print_result(result: BuildResult, cached: list[str], args: argparse.Namespace, seconds: float) -> None:
    from flows.commands import suggest
    from flows.edition.french import format_seconds

    if result.report:
        print("\n".join(result.report) + "\n")
    if not result.published:
        print(f"{result.message[0].upper()}{result.message[1:]}. Publication actuelle : {result.pdf_path}")
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


def cmd_drafts(args: argparse.Namespace) -> int:
    from flows.edition.french import format_time
    from flows.edition.publish import store
    from flows.portal import people, wording

    catalogue = store.open_catalogue(args.outputs)
    _deliver_owed(catalogue)
    found = catalogue.drafts()
    known = people.known(catalogue.engine) if found else {}
    interrupted = {(r, y): catalogue.interrupted_drafts(r, y) for r, y in {(r, y) for r, y, _, _ in found}}
    for region, year, region_name, entry in found:
        print(
            f"{region} {year} r{entry['revision']}\t{region_name}\tconstruit le {format_time(entry['published_at'])} "
            f"par {people.person(entry.get('launched_by'), known)}\t{entry['pages']} pages, "
            f"{wording.changes_phrase(entry)}\tmotif : {entry['reason']}"
        )
        if "draft" in entry:
            print(f"    à relire : {store.edition_dir(args.outputs, region, year) / entry['draft']['file']}")
    if not found:
        print("Aucun projet en attente d'approbation.")
    for region, year, _, entry in catalogue.drafts(statuses=(store.SUPERSEDED,)):
        print(
            f"{region} {year} r{entry['revision']}\tremplacé le {format_time(entry.get('decided_at'))} : "
            f"{entry.get('comment') or 'une révision a été publiée depuis'} ; ne peut plus être approuvé"
        )
    for (region, year), numbers in sorted(interrupted.items()):
        _say_interrupted(numbers, region, year, args)
    return EXIT_OK


def cmd_sign_off(args: argparse.Namespace) -> int:
    from flows import policy
    from flows.commands import suggest
    from flows.edition.publish import store
    from flows.portal import audit
    from flows.portal.signoff import SignOffRefused, sign_off

    catalogue = store.open_catalogue(args.outputs)
    try:
        entry = sign_off(
            catalogue,
            args.region,
            args.year,
            args.revision,
            args.approve,
            audit.system_user(),
            audit.command_line_address(),
            args.comment,
            acknowledge=getattr(args, "acknowledge", False),
        )
    except SignOffRefused as exc:
        print(f"Refusé : {exc}.", file=sys.stderr)
        if getattr(exc, "rule", None) == policy.FOUR_EYES:  # what an administrator types, as typed
            line = suggest("reglages", "--region", args.region, "--auto-approbation", "oui", outputs=args.outputs)
            print(f"Pour une équipe d'une personne, un administrateur lance : {line}", file=sys.stderr)
        return EXIT_USAGE
    done = f"révision {entry['revision']} de {args.region} {args.year} {'publiée' if args.approve else 'rejetée'}"
    try:
        if args.approve:
            from flows.portal import people

            by = people.person(entry["decided_by"], people.known(catalogue.engine))
            print(f"Révision {entry['revision']} de {args.region} {args.year} publiée (approuvée par {by}).")
            print(f"Publication actuelle : {paths.brochure_path(args.outputs, args.region, args.year)}")
            every = catalogue.history(args.region, args.year, statuses=(store.SUPERSEDED,))
            replaced = (
                [e["revision"] for e in every["revisions"] if e.get("decided_at") == entry["decided_at"]]
                if every
                else []
            )
            if replaced:
                names = ", ".join(f"r{n}" for n in replaced)
                print(
                    f"Remplacé(s) par cette publication, plus jamais approuvable(s) : {names} (copie marquée retirée)."
                )
        else:
            print(f"Révision {entry['revision']} de {args.region} {args.year} rejetée : elle ne sera jamais publiée.")
    except Exception as exc:  # the decision is committed: whatever fails now never says « nothing changed »
        if isinstance(exc, BrokenPipeError):
            raise
        from flows.edition.publish.errors import AfterCommit

        raise AfterCommit(done, "compte rendu non affiché", exc) from exc
    _say_interrupted(catalogue.interrupted_drafts(args.region, args.year), args.region, args.year, args)
    _say_owed(catalogue)
    return EXIT_OK


def _say_interrupted(numbers: list[int], region: str, year: int, args: argparse.Namespace) -> None:
    """Drafts recorded by a build killed before its end (flows/edition/publish/builds.py), said to staff."""
    from flows.edition.publish import builds

    for number in numbers:
        said = builds.message(region, year, number, getattr(args, "outputs", None))
        print(f"Attention : {said}.", file=sys.stderr)


def _deliver_owed(catalogue: Catalogue) -> None:
    """Send what earlier commands owe and is due (a command killed after its commit, an SMTP server that was
    down): every command that opens the catalogue does, as the service and `fir repair` do."""
    from flows.portal import outbox

    outbox.deliver(catalogue.engine)


def _say_owed(catalogue: Catalogue) -> None:
    """Notifications still owed after this command sent what it could (flows/portal/outbox.py): said, with
    who sends them, so that nobody thinks they are lost."""
    from flows.portal import outbox

    if waiting := outbox.owed(catalogue.engine):
        print(
            f"{waiting} notification(s) en attente d'envoi : le service (fir serve) ou « fir repair » les enverra.",
            file=sys.stderr,
        )


def cmd_schedule(args: argparse.Namespace) -> int:
    print("« fir schedule » s'appelle désormais « fir serve » : démarrage du service complet.", flush=True)
    return cmd_serve(args)


def cmd_national(args: argparse.Namespace) -> int:
    service.use_running_service()  # then prefect_server() below uses the running `fir serve`
    if not os.environ.get("PREFECT_API_URL"):  # prefect_server() starts one: its credentials, before Prefect reads them
        os.environ.setdefault("PREFECT_API_AUTH_STRING", service.new_auth_string())
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    from flows.deploy import prefect_server
    from flows.edition.french import format_number, format_seconds
    from flows.edition.publish import revisions
    from flows.national import national_run, task_runner
    from flows.portal import audit

    started = time.perf_counter()
    with prefect_server():  # workers in other processes need an API server to report their runs to
        run = national_run.with_options(task_runner=task_runner(args.runner, args.workers, args.address))
        outcomes = run(
            editions=args.editions,
            inputs=str(args.inputs),
            outputs=str(args.outputs),
            reason=args.reason,
            trigger=revisions.MANUAL if args.reason else revisions.SCHEDULED,
            launched_by=audit.system_user(),
        )
    for outcome in outcomes:
        print(f"  {outcome.region} {outcome.year} : {outcome.message} ({format_seconds(outcome.seconds)})")
    seconds = time.perf_counter() - started
    pace = format_number(len(outcomes) / seconds * 60, 1)
    print(f"{len(outcomes)} édition(s) en {format_seconds(seconds, 0)}, soit {pace} brochures/minute")
    return EXIT_OK


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
            with catalogue.lock(region, year, 60, _say_waiting):
                recovery = catalogue.recover(region, year)
            for path in recovery.restored:
                print(f"{region} {year} : fichier altéré rétabli depuis sa copie intacte : {path}", file=sys.stderr)
            _say_interrupted(recovery.interrupted, region, year, args)
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


def cmd_repair(args: argparse.Namespace) -> int:
    from flows.commands import suggest
    from flows.edition.publish import quarantine, rebuild, store

    if args.rebuild:
        try:
            rebuilt = rebuild.prepare(args.outputs)
        except rebuild.NothingToRebuild as exc:
            print(f"Refusé : {exc}.", file=sys.stderr)
            return EXIT_USAGE
        _say_rebuilt(rebuilt)
    catalogue = store.open_catalogue(args.outputs)
    if catalogue.engine.dialect.name == "sqlite":  # a damaged file is said before anything is reconciled
        from flows.edition.publish import database

        database.check(catalogue.engine)
    found = store.recover_all(catalogue, args.lock_timeout, verify=True, on_wait=_say_waiting)
    quarantined = 0
    for region, year, recovery in found:
        every = catalogue.history(region, year, statuses=None)
        published = [e for e in every["revisions"] if e.get("status") == store.PUBLISHED] if every else []
        pending = [e for e in every["revisions"] if e.get("status") == store.DRAFT] if every else []
        print(
            f"{region} {year} : {len(published)} révision(s) publiée(s), {len(pending)} projet(s) en attente, "
            "fichiers vérifiés (SHA-256)"
        )
        if recovery.from_records:
            numbers = ", ".join(map(str, recovery.from_records))
            print(f"  reprises des enregistrements dans le catalogue (fichiers et décisions) : révisions {numbers}")
        if recovery.decisions:
            print(f"  décisions reprises des enregistrements : révisions {', '.join(map(str, recovery.decisions))}")
        if recovery.imported:
            print(f"  importées dans le catalogue : révisions {', '.join(map(str, recovery.imported))}")
        if recovery.records_written:
            print(f"  enregistrements écrits depuis le catalogue : {len(recovery.records_written)}")
        for path in recovery.restored:
            print(f"  rétabli depuis une copie : {path}")
        for path in recovery.removed:
            print(f"  supprimé : {path}")
        _say_interrupted(recovery.interrupted, region, year, args)
        for path in recovery.quarantined:
            print(f"  mis en quarantaine : {path}")
        for problem in recovery.problems:
            print(f"  à vérifier : {problem}")
        quarantined += len(recovery.quarantined)
    if quarantined:
        from flows.edition.french import format_time

        until = format_time(_in_days(quarantine.DELAY_DAYS)).split(" à ")[0]
        print(
            f"{quarantined} fichier(s) que rien ne référence mis en quarantaine ({quarantine.folder(args.outputs)}), "
            f"pas supprimés : « {suggest('gc', outputs=args.outputs)} » les supprimera à partir du {until} "
            f"({quarantine.DELAY_DAYS} jours). Si une sauvegarde du catalogue doit être restaurée, la restaurer "
            f"avant, puis relancer « {suggest('repair', outputs=args.outputs)} »."
        )
    if not found:
        print(f"Aucune édition publiée dans {args.outputs} (catalogue : {catalogue.where})")
    from flows.portal import outbox

    delivery = outbox.deliver(catalogue.engine, everything=True, limit=1000)  # due or not: asked for now
    if delivery.sent:
        print(f"Notifications en attente envoyées : {delivery.sent}")
    if waiting := outbox.owed(catalogue.engine):
        why = f" ({delivery.waiting[0]})" if delivery.waiting else ""
        print(f"Notifications toujours en attente : {waiting}{why} ; le service (fir serve) les enverra.")
    return EXIT_OK


def _say_rebuilt(rebuilt: object) -> None:
    from flows.edition.publish.rebuild import KEPT_TABLES, Rebuilt

    assert isinstance(rebuilt, Rebuilt)
    for path in rebuilt.set_aside:
        print(f"Catalogue endommagé mis de côté (pas supprimé) : {path}")
    print(f"Nouveau catalogue ({rebuilt.where}), reconstruit depuis les enregistrements des révisions.")
    names = {"users": "comptes du personnel", "audit_log": "journal d'audit", "confirmations": "confirmations"}
    if not rebuilt.set_aside:
        print(
            "Les comptes du personnel, le journal d'audit et les confirmations ne sont pas dans les "
            "enregistrements : les reprendre d'une sauvegarde, ou recréer les comptes (fir user add)."
        )
    for table in KEPT_TABLES if rebuilt.set_aside else ():
        count = rebuilt.copied.get(table)
        if count is None:
            print(
                f"  {names[table]} : illisible(s) dans le fichier endommagé, à reprendre d'une sauvegarde "
                "(README, « Sauvegarde ») ou à recréer"
            )
        else:
            print(f"  {names[table]} : {count} ligne(s) reprise(s) du fichier endommagé")


def _in_days(days: float) -> str:
    import datetime as dt

    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat()


def cmd_gc(args: argparse.Namespace) -> int:
    service.use_running_service()  # before any Prefect import, as every command using Prefect
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    from prefect.settings import get_current_settings

    from flows.commands import suggest
    from flows.edition.french import format_size, format_time
    from flows.edition.publish import gc, quarantine, store

    catalogue = store.open_catalogue(args.outputs)
    _deliver_owed(catalogue)
    total = 0
    for region, year in store.editions_found(catalogue):
        folder = store.edition_dir(catalogue.outputs, region, year)
        try:
            with catalogue.lock(region, year, timeout=0):
                recovery = catalogue.recover(region, year)
        except store.LockTimeout:
            print(f"{region} {year} : en cours de construction, laissée pour la prochaine fois")
            continue
        _say_interrupted(recovery.interrupted, region, year, args)
        files, size = gc.folder_size(folder)
        total += size
        aside = f" ; mis en quarantaine : {len(recovery.quarantined)} fichier(s)" if recovery.quarantined else ""
        print(f"{region} {year} : {files} fichier(s), {format_size(size)}{aside}")
    purged = quarantine.purge(catalogue.outputs)
    for when, count in purged.removed:
        print(f"Quarantaine du {format_time(when.isoformat())} : {count} fichier(s) supprimé(s)")
    if purged.kept:
        waiting = sum(count for _, count in purged.kept)
        until = format_time(purged.next_removal().isoformat())  # type: ignore[union-attr]
        print(
            f"Quarantaine ({quarantine.folder(catalogue.outputs)}) : {waiting} fichier(s) gardé(s) ; les premiers "
            f"seront supprimés par « {suggest('gc', outputs=args.outputs)} » à partir du {until}"
        )
    total += gc.folder_size(quarantine.folder(catalogue.outputs))[1]
    database = catalogue.database_size()
    if database is not None:
        total += database
        print(f"Catalogue ({catalogue.where}) : {format_size(database)}")
    folder = Path(get_current_settings().results.local_storage_path)
    pruned = gc.prune_results(
        folder, catalogue.results_needed(), args.max_age_days * 86400, int(args.max_results_mb * 1024 * 1024)
    )
    total += pruned.size - pruned.freed
    print(
        f"Résultats Prefect ({folder}) : {pruned.files - len(pruned.removed)} fichier(s), "
        f"{format_size(pruned.size - pruned.freed)} ; supprimé : {len(pruned.removed)} ({format_size(pruned.freed)})"
    )
    print(f"Place occupée en tout : {format_size(total)}")
    return EXIT_OK


def cmd_user(args: argparse.Namespace) -> int:
    from flows import policy
    from flows.commands import suggest
    from flows.edition.french import format_time
    from flows.edition.publish import store
    from flows.portal import accounts, audit

    engine = store.open_catalogue(args.outputs).engine
    actor, address = audit.system_user(), audit.command_line_address()
    if args.action != "list" and not (decision := policy.allowed(policy.system(actor), policy.MANAGE_ACCOUNTS)):
        audit.record(engine, actor, address, audit.ACCOUNT, args.name, audit.REFUSED, decision.reason)
        print(f"Refusé : {decision.reason}.", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.action == "list":
            found = accounts.listing(engine)
            for a in found:
                state = "désactivé" if a.disabled else "actif"
                role, changed = accounts.ROLE_NAMES[a.role], format_time(a.updated_at)
                print(f"{a.name}\t{a.display_name}\t{role}\t{state}\tmodifié le {changed}")
            if not found:
                first = suggest("user", "add", "prenom.nom", "--role", "administrateur", outputs=args.outputs)
                print(f"Aucun compte. Créer le premier (remplacer prenom.nom par votre identifiant) : {first}")
            return EXIT_OK
        if args.action == "disable":
            accounts.disable(engine, args.name)
            audit.record(engine, actor, address, audit.ACCOUNT, args.name, detail="compte désactivé")
            print(f"Compte « {args.name} » désactivé ; ses sessions sont fermées.")
            return EXIT_OK
        if args.action == "unlock":
            from flows.portal import throttle

            forgotten = throttle.unlock(engine, args.name.strip().lower())
            audit.record(engine, actor, address, audit.ACCOUNT, args.name, detail=f"connexion débloquée ({forgotten})")
            print(f"Connexions de « {args.name} » débloquées ({forgotten} adresse(s)) : le prochain essai est vérifié.")
            return EXIT_OK
        password = _new_password(args.password_stdin)
        if args.action == "add":
            account = accounts.add(engine, args.name, args.role, password, args.display_name, args.email)
            created = f"compte créé ({accounts.ROLE_NAMES[account.role]})"
            audit.record(engine, actor, address, audit.ACCOUNT, account.name, detail=created)
            print(f"Compte « {account.name} » créé ({accounts.ROLE_NAMES[account.role]}).")
        else:
            accounts.set_password(engine, args.name, password)
            audit.record(engine, actor, address, audit.ACCOUNT, args.name, detail="mot de passe changé")
            print(f"Mot de passe de « {args.name} » changé ; ses sessions sont fermées.")
    except accounts.AccountError as exc:
        audit.record(engine, actor, address, audit.ACCOUNT, args.name, audit.REFUSED, str(exc))
        print(f"Refusé : {exc}.", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    """`fir reglages`: show the administrators' settings, or change one region's (with its audit line)."""
    from flows import policy
    from flows.edition.french import format_time
    from flows.edition.ingest.snapshot import list_editions
    from flows.edition.publish import settings, store
    from flows.portal import audit, people

    catalogue = store.open_catalogue(args.outputs)
    engine = catalogue.engine
    actor, address = audit.system_user(), audit.command_line_address()
    regions = {region for region, _ in catalogue.editions()}
    if args.inputs.is_dir():
        regions |= {region for region, _ in list_editions(args.inputs)}
    if args.self_approval is None:
        known = people.known(engine)
        for found in settings.listing(engine, tuple(sorted(regions))):
            if args.region and found.region != args.region:
                continue
            when = (
                f"changé le {format_time(found.changed_at)} par {people.person(found.changed_by, known)}"
                if found.changed_by
                else "jamais changé"
            )
            print(f"{found.region}\t{settings.NAME} : {settings.WORDS[found.self_approval]}\t{when}")
        if not regions and not settings.listing(engine):
            print("Aucune région dans le catalogue ni dans le dossier des données.")
        return EXIT_OK
    if not args.region:
        from flows.commands import suggest

        example = suggest(
            "reglages",
            "--region",
            min(regions, default="hauts-de-france"),
            "--auto-approbation",
            args.self_approval,
            outputs=args.outputs,
        )
        print(f"Refusé : indiquez la région. Rien n'a changé. Par exemple : {example}", file=sys.stderr)
        return EXIT_USAGE
    decision = policy.allowed(policy.system(actor), policy.CHANGE_SETTINGS)
    problem = decision.reason
    if not problem and args.region not in regions | {s.region for s in settings.listing(engine)}:
        shown = ", ".join(sorted(regions)) or "aucune"
        problem = f"région « {args.region} » inconnue (régions connues : {shown})"
    if problem:
        audit.record(engine, actor, address, audit.SETTING, args.region, audit.REFUSED, problem)
        print(f"Refusé : {problem}. Rien n'a changé.", file=sys.stderr)
        return EXIT_USAGE
    old, new = settings.set_self_approval(engine, args.region, args.self_approval == "oui", actor, address)
    detail = settings.change_detail(old, new)
    print(f"Réglage de {args.region} : {detail} (inscrit au journal d'audit).")
    return EXIT_OK


def _new_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Le même, encore : ") != first:
        from flows.portal.accounts import AccountError

        raise AccountError("les deux saisies diffèrent")
    return first


def _say_waiting(where: str, holder: Holder | None) -> None:
    who = f"par le {holder.describe()}" if holder is not None else "par une autre commande"
    print(f"Édition en cours de construction {who} ({where}) : attente de sa fin…", file=sys.stderr)


def cmd_workbook(args: argparse.Namespace) -> int:
    """Write the edition's tables as a workbook for people; never over an existing file without --force."""
    from flows.commands import suggest
    from flows.edition.authoring.workbook import earlier_edition, exported_tables, workbook_bytes
    from flows.edition.ingest.snapshot import read_edition
    from flows.edition.ingest.xlsx_cells import WORKBOOK

    if args.ranger_csv:
        from flows.edition.authoring import csv_aside

        return csv_aside.command(args.inputs, args.region, args.year)
    folder = args.inputs / args.region / str(args.year)
    target: Path = args.output or folder / WORKBOOK
    if (target.exists() or target.is_symlink()) and not args.force:
        print(
            f"Le classeur {target} existe déjà : rien n'a été écrit. Choisir un autre fichier avec --output, "
            "ou le remplacer avec --force (ce qu'il contient de plus que les tableaux, notes ou feuilles "
            "ajoutées, serait perdu).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.output is not None and not target.parent.is_dir():
        print(
            f"Le dossier {target.parent} n'existe pas : rien n'a été écrit. Le créer, ou choisir un autre --output.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    edition = read_edition(args.inputs, args.region, args.year, allow_incomplete=True)  # an empty edition too
    earlier, why_not = earlier_edition(args.inputs, args.region, args.year, args.source)
    if earlier is None and args.source is not None:
        print(f"Refusé : {why_not} ; rien n'a été écrit.", file=sys.stderr)
        return EXIT_USAGE
    data = workbook_bytes(edition, earlier, args.inputs)
    temporary = target.with_name(f".{target.name}.tmp")  # written aside, then renamed: never a half file
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    from flows.edition.labels import TABLE_NAMES

    tables = exported_tables(edition)
    sheets = [f"{TABLE_NAMES.get(name, name)} (feuille « {name} »)" for name in tables]
    print(f"Classeur écrit : {target} ({len(sheets)} tableaux : {', '.join(sheets)}).")
    if earlier is not None:
        print(f"Les chiffres de l'édition {earlier.meta.year} sont montrés pour mémoire à côté des cellules à saisir.")
    elif why_not:
        print(f"Sans chiffres pour mémoire : {why_not}.")
    final = folder / WORKBOOK
    if target.resolve() != final.resolve():
        print(f"Une fois rempli, l'enregistrer sous {final} (voir la feuille « À lire »).")
    doubled = sorted(f"{name}.csv" for name in tables if (folder / f"{name}.csv").exists())
    if doubled and target.resolve() == final.resolve():
        tidy = suggest("workbook", "--region", args.region, "--year", args.year, "--ranger-csv", inputs=args.inputs)
        print(
            f"Attention : les tableaux sont maintenant à la fois dans {WORKBOOK} et dans {', '.join(doubled)}. "
            "fir check refusera l'édition tant que ces fichiers CSV resteront dans le dossier. Pour travailler "
            f"dans le classeur, les ranger dans {folder / '_anciens-csv'}/ (l'outil ne lit pas ce dossier) :\n"
            f"  {tidy}",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    """Make a new edition from an earlier one; never over an existing folder, nothing half written."""
    from flows.commands import suggest
    from flows.edition.authoring.new_edition import NewEditionRefused, create_edition
    from flows.edition.french import count_of

    try:
        created = create_edition(args.inputs, args.region, args.year, args.source)
    except NewEditionRefused as exc:
        print(f"Refusé : {exc}.", file=sys.stderr)
        return EXIT_USAGE
    tables = [name for name in created.files if "/" not in name and name != "edition.toml"]
    texts = [name for name in created.files if name.startswith("texts/")]
    print(
        f"Édition {args.region} {args.year} créée à partir de {created.source_year} : {created.folder} "
        f"({', '.join(tables)} ; {len(texts)} textes)."
    )
    if created.left_out:
        print(f"Non repris (propres à l'année {created.source_year}) : {', '.join(created.left_out)}.")
    todo = created.todo
    edition = ["--region", args.region, "--year", args.year]
    print(
        f"À compléter : {count_of(len(todo.tables), 'tableau', 'tableaux')} ({count_of(todo.cells, 'cellule')}), "
        f"{count_of(len(todo.texts), 'texte')} — la liste : {suggest('check', *edition, inputs=args.inputs)}"
    )
    if "figures.xlsx" in created.files:
        workbook = created.folder / "figures.xlsx"
        print(f"Les montants se saisissent dans {workbook} (chiffres {created.source_year} pour mémoire).")
    else:
        print(
            "Le classeur à remplir, avec les chiffres "
            f"{created.source_year} pour mémoire : {suggest('workbook', *edition, inputs=args.inputs)}"
        )
    return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    """Serve the edition's preview until Ctrl-C (flows/preview/): no Prefect, nothing written."""
    from flows.preview import command

    if args.workers is not None and args.workers < 0:
        print("--workers : un nombre de processus, 0 ou plus", file=sys.stderr)
        return EXIT_USAGE
    return command.run(args.region, args.year, args.inputs, args.outputs, args.host, args.port, args.open, args.workers)


def cmd_list(args: argparse.Namespace) -> int:
    from flows.edition.ingest.snapshot import list_editions

    editions = list_editions(args.inputs)
    for region, year in editions:
        print(f"{region} {year}")
    if not editions:
        print(f"Aucune édition dans {args.inputs}", file=sys.stderr)
    return EXIT_OK


def _print_problems(exc: InputError) -> None:
    problems = [str(p) for p in exc.problems] or [str(exc)]
    print(f"Données invalides ({len(problems)} problème(s)) :", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    print("Rien n'a été publié. Voir inputs/README.md pour le format attendu.", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
