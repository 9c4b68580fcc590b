"""`fir rebuild`, `fir export` and `fir versions`: the versions of an edition's inputs kept in the store, a
revision made again from them alone, a version written back to a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from flows import paths
from flows.cli.common import EXIT_INPUT, EXIT_OK, EXIT_USAGE


def _outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (défaut : outputs/)"
    )


def add_rebuild(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir rebuild`: its arguments."""
    rebuild = sub.add_parser(
        "rebuild",
        help="refaire une révision depuis le stockage seul (sans dossier inputs/) et comparer chaque fichier "
        "à celui enregistré (SHA-256)",
    )
    rebuild.add_argument("region", help="région (ex. hauts-de-france)")
    rebuild.add_argument("year", type=int, help="année de l'édition")
    rebuild.add_argument("revision", type=int, help="numéro de la révision")
    rebuild.add_argument("--into", type=Path, required=True, help="dossier où écrire les fichiers refaits")
    _outputs(rebuild)
    rebuild.set_defaults(handler=cmd_rebuild)


def add_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir export`: its arguments."""
    export = sub.add_parser(
        "export", help="écrire une version des fichiers d'entrée d'une édition dans un dossier (comme inputs/)"
    )
    export.add_argument("region", help="région (ex. hauts-de-france)")
    export.add_argument("year", type=int, help="année de l'édition")
    export.add_argument("folder", type=Path, help="dossier où écrire les fichiers (il reçoit <région>/<année>/…)")
    export.add_argument("--version", type=int, dest="number", help="numéro de la version (défaut : la dernière)")
    _outputs(export)
    export.set_defaults(handler=cmd_export)


def add_versions(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir versions`: its arguments."""
    listing = sub.add_parser("versions", help="lister les versions des fichiers d'entrée d'une édition")
    listing.add_argument("region", help="région (ex. hauts-de-france)")
    listing.add_argument("year", type=int, help="année de l'édition")
    _outputs(listing)
    listing.set_defaults(handler=cmd_versions)


def _catalogue_engine(outputs: Path, then: str = "") -> Any:
    """The catalogue's engine, or None once said that `outputs` holds no catalogue (none is created)."""
    from flows.edition.publish import database, store

    if not database.catalogue_exists(outputs):
        print(f"Aucun catalogue dans {outputs}{then}.", file=sys.stderr)
        return None
    return store.open_catalogue(outputs).engine


def cmd_rebuild(args: argparse.Namespace) -> int:
    from flows.pipeline.rebuild import NotRebuildable, rebuild

    try:
        rebuilt = rebuild(args.outputs, args.region, args.year, args.revision, args.into)
    except NotRebuildable as exc:
        print(f"Impossible de reconstruire : {exc}.", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"{args.region} {args.year}, révision {rebuilt.revision} refaite depuis la version {rebuilt.input_version} "
        f"des fichiers d'entrée, dans {args.into} :"
    )
    for file in rebuilt.files:
        verdict = "identique" if file.same else f"DIFFÉRENT (enregistré : {file.recorded[:16]}…)"
        print(f"  {file.path.relative_to(args.into)} : {file.sha256[:16]}… {verdict}")
    if rebuilt.identical:
        print("Chaque fichier est identique, octet pour octet, à celui enregistré.")
        return EXIT_OK
    if rebuilt.code_changed:
        print(
            f"La révision a été construite par la version {rebuilt.code_changed} du programme : les différences "
            "peuvent venir du programme, pas des données.",
            file=sys.stderr,
        )
    print("Des fichiers diffèrent de ceux enregistrés : rien n'a été changé dans le stockage.", file=sys.stderr)
    return EXIT_INPUT


def cmd_export(args: argparse.Namespace) -> int:
    from flows.edition.publish import input_versions

    engine = _catalogue_engine(args.outputs, " : rien à exporter")
    if engine is None:
        return EXIT_USAGE
    try:
        if args.number is None:
            found = input_versions.latest(engine, args.outputs, args.region, args.year)
            if found is None:
                raise input_versions.UnknownVersion(
                    f"l'édition {args.region} {args.year} n'a encore aucune version de ses fichiers d'entrée"
                )
        else:
            found = input_versions.version(engine, args.outputs, args.region, args.year, args.number)
    except input_versions.UnknownVersion as exc:
        print(f"Refusé : {exc}.", file=sys.stderr)
        return EXIT_USAGE
    written = input_versions.export(args.outputs, found, args.folder)
    print(
        f"Version {found.number} des fichiers d'entrée de {args.region} {args.year} ({found.author}, "
        f"{found.created_at}) : {len(written)} fichier(s) écrit(s) dans {args.folder}."
    )
    return EXIT_OK


def cmd_versions(args: argparse.Namespace) -> int:
    from flows.edition.publish import input_versions

    engine = _catalogue_engine(args.outputs)
    if engine is None:
        return EXIT_USAGE
    every = input_versions.versions(engine, args.outputs, args.region, args.year)
    if not every:
        print(f"{args.region} {args.year} : aucune version des fichiers d'entrée enregistrée.")
    for found in every:
        print(f"version {found.number} — {found.created_at} — {found.author} ({found.origin}) — {found.message}")
    return EXIT_OK
