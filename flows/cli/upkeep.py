"""`fir repair` and `fir gc`: put the published files and the catalogue right, and free the disk."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from flows import paths, service
from flows.cli.common import EXIT_OK, EXIT_USAGE, PREFECT_DEFAULTS, deliver_owed, say_interrupted, say_waiting


def add_repair(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir repair`: its arguments."""
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


def add_gc(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir gc`: its arguments."""
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
    found = store.recover_all(catalogue, args.lock_timeout, verify=True, on_wait=say_waiting)
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
        say_interrupted(recovery.interrupted, region, year, args)
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
    from flows.notices import outbox

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
    deliver_owed(catalogue)
    total = 0
    for region, year in store.editions_found(catalogue):
        folder = store.edition_dir(catalogue.outputs, region, year)
        try:
            with catalogue.lock(region, year, timeout=0):
                recovery = catalogue.recover(region, year)
        except store.LockTimeout:
            print(f"{region} {year} : en cours de construction, laissée pour la prochaine fois")
            continue
        say_interrupted(recovery.interrupted, region, year, args)
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
