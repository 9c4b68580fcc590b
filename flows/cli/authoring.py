"""`fir workbook`, `fir new`, `fir preview` and `fir list`: write an edition's inputs and look at them."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from flows import paths
from flows.cli.common import EXIT_OK, EXIT_USAGE, edition_args


def add_workbook(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir workbook`: its arguments."""
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


def add_new(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir new`: its arguments."""
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


def add_preview(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir preview`: its arguments."""
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
        help="processus qui mettent les pages en page côte à côte (défaut : un par cœur moins un ; 0 : aucun)",
    )
    preview.set_defaults(handler=cmd_preview)


def add_list(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir list`: its arguments."""
    listing = sub.add_parser("list", help="lister les éditions présentes dans les données")
    listing.add_argument("--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)")
    listing.set_defaults(handler=cmd_list)


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
