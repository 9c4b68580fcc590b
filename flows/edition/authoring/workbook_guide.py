"""The workbook's guide, the sheet « À lire » (workbook.py): where to save the file, how it is read, what each
table holds, in plain French."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from flows.edition.authoring.workbook_cells import GUIDE_WIDTH, HEADER_FILL, LINE_HEIGHT, french_spaces, wrapped_lines
from flows.edition.contract import EXPECTED, TABLES
from flows.edition.ingest.snapshot import ASIDE_FOLDER, Edition
from flows.edition.ingest.xlsx_cells import CHECK_TITLE, REFERENCE_TITLE, WORKBOOK
from flows.edition.labels import COLUMN_TITLES

# What each table holds, in the words of the guide ("À lire").
TABLE_TITLES: dict[str, str] = {
    "revenue": "Recettes du FIR, par étape budgétaire",
    "revenue_priorities": "Montants nationaux fléchés cités dans le texte",
    "execution": "Exécution : autorisations d'engagement (AE) et crédits de paiement (CP)",
    "missions": "AE et CP par mission du FIR",
    "cp_by_nature": "Crédits de paiement par nature de dépense",
    "thematics": "Dépenses par grande thématique",
    "parts": "Parties (ou orientations stratégiques) du volet « en actions »",
    "actions": "Sections et actions du volet « en actions », dans l'ordre de lecture",
    "action_amounts": "Montants mis en avant d'une section ou d'une action",
    "key_figures": "Chiffres clés en exergue (ex. « 3 010 pharmaciens »)",
}
TABLE_NOTES: dict[str, str] = {
    "revenue": "Une ligne par recette (genre « line ») et une seule ligne de total (genre « total »), "
    "pour chaque étape : année précédente, budgets rectificatifs 1 à 4, montant final.",
    "revenue_priorities": "Montants cités dans le texte, avec leur libellé et un qualificatif éventuel (« plus de »).",
    "execution": "Une ligne AE et une ligne CP. Chaque ligne donne des crédits ouverts non nuls, "
    "ou un taux publié, ou les deux.",
    "missions": "Une ligne par mission (1 à 5). Les sommes des AE et des CP sont comparées à celles de la "
    "feuille « execution ».",
    "cp_by_nature": "La somme des montants est comparée aux CP exécutés.",
    "thematics": "Une ligne par thématique et une seule ligne de total, non nulle : les parts sont calculées "
    "sur ce total.",
    "parts": "Numérotées 1, 2, … dans l'ordre de la brochure.",
    "actions": "Une section n'a pas de parent ; une action donne la section dont elle fait partie.",
    "action_amounts": "Plusieurs lignes pour une même action sont imprimées dans l'ordre.",
    "key_figures": "Le nombre, son unité éventuelle, les mots imprimés en grand, puis le détail en petit.",
}


def write_guide(
    sheet: Worksheet,
    edition: Edition,
    tables: Mapping[str, pl.DataFrame],
    earlier: Edition | None = None,
    inputs: Path | None = None,
) -> None:
    """The sheet "À lire": where to save the file, what each table holds and how the workbook is read,
    in plain French."""
    lines: list[tuple[str, str]] = [  # (style, text)
        ("title", f"Chiffres de la brochure FIR — {edition_label(edition)}"),
        ("", "Ce classeur contient les tableaux de chiffres de la brochure, une feuille par tableau."),
        *_where_to_save(edition, inputs),
        *_how_to_fill(edition.meta.year, earlier),
        *_what_each_table_holds(tables),
    ]
    _write_lines(sheet, lines)


def _where_to_save(edition: Edition, inputs: Path | None) -> list[tuple[str, str]]:
    """The file's one name and folder, and what becomes of the tables' CSV files beside it."""
    from flows.commands import suggest

    region, year = edition.meta.region, edition.meta.year
    place = f"{region}/{year}/{WORKBOOK}"
    where = (inputs / region / str(year) / WORKBOOK).absolute() if inputs else None
    here = f" — sur le poste où ce classeur a été fait : {where}" if where else ""
    tidy = suggest("workbook", "--region", region, "--year", year, "--ranger-csv", inputs=inputs, anywhere=True)
    return [
        ("heading", "Où l'enregistrer"),
        (
            "",
            f"Sous le nom {WORKBOOK}, au format Excel (.xlsx), dans le dossier de l'édition : "
            f"inputs/{place}{here}. C'est le seul nom que l'outil lit ; une copie enregistrée ailleurs ou "
            "sous un autre nom n'est pas lue.",
        ),
        (
            "",
            "Et les fichiers CSV ? Un tableau se lit soit d'un fichier CSV (revenue.csv…), soit d'une feuille "
            f"de ce classeur, jamais des deux. Dès que {WORKBOOK} est dans le dossier, les fichiers CSV des "
            f"tableaux qu'il contient doivent en sortir : les déplacer dans le sous-dossier {ASIDE_FOLDER}/ "
            f"(l'outil ne le lit pas ; rien n'est perdu), ou lancer « {tidy} », qui les y déplace après "
            "confirmation. fir check nomme les fichiers à déplacer s'il en reste. Un tableau sans feuille "
            "dans ce classeur continue d'être lu de son fichier CSV.",
        ),
    ]


def _how_to_fill(year: int, earlier: Edition | None) -> list[tuple[str, str]]:
    """What the tool reads and what it does not, the earlier edition's figures, amounts, lists and checks."""
    memory = (
        (
            "",
            f"Chiffres de {earlier.meta.year}, pour mémoire : à droite de chaque colonne de montants, une colonne "
            f"grisée « {REFERENCE_TITLE} : {earlier.meta.year} » donne le chiffre de la même ligne dans l'édition "
            f"{earlier.meta.year} (avec son unité), et à côté de chaque contrôle la même somme en "
            f"{earlier.meta.year}. Ces colonnes ne sont pas lues : ne rien y saisir, taper le chiffre de "
            f"{year} dans la colonne à leur gauche.",
        )
        if earlier is not None
        else None
    )
    return [
        ("heading", "Comment le remplir"),
        (
            "",
            "Ce que l'outil lit : dans chaque feuille, la ligne 1 puis les lignes suivantes. En ligne 1, chaque "
            "colonne a son titre en français suivi, entre parenthèses, du nom que l'outil lit (« Montant "
            "(amount) ») : le titre peut changer, pas le nom entre parenthèses. Le commentaire de la cellule "
            "d'en-tête (la survoler) dit ce qui est attendu.",
        ),
        (
            "",
            "Ce que l'outil ne lit pas : cette feuille « À lire », les feuilles masquées ou dont le nom "
            "commence par « _ » (vos notes : « _Notes DAF »), les colonnes grisées dont l'en-tête commence "
            f"par « {REFERENCE_TITLE} » ou « {CHECK_TITLE} », et les colonnes dont l'en-tête commence par "
            "« _ » (les vôtres). Toute autre feuille est refusée.",
        ),
        *([memory] if memory else []),
        (
            "",
            "Montants : un nombre positif, dans l'unité de la colonne « Unité (unit) » de sa ligne (€, k€ ou M€). "
            "Le nombre de décimales affichées est la précision imprimée : 517,1 M€ s'imprime « 517,1 M€ ». "
            "Pour changer la précision, changer le format de la cellule, pas seulement la valeur. "
            "Une cellule vide veut dire « sans objet », ce qui n'est pas 0 ; « ? » veut dire « à saisir » "
            "(fir check liste tout ce qui reste à compléter).",
        ),
        (
            "",
            "Listes déroulantes : les unités, le genre (line / total), le budget (AE / CP), les numéros de "
            "mission et les identifiants de parties et d'actions se choisissent dans une liste.",
        ),
        (
            "",
            f"Contrôle des totaux : à côté de la ligne de total d'une table, une colonne grisée « {CHECK_TITLE} : "
            "somme des lignes — … » calcule la somme des lignes ; à côté des AE et CP exécutés (feuille "
            f"« execution »), « {CHECK_TITLE} : somme des missions », « … somme des natures » et « … total des "
            "thématiques » donnent les sommes des feuilles « missions », « cp_by_nature » et « thematics », "
            "converties dans l'unité de la ligne. Le contrôle se colore en orange quand l'écart dépasse "
            "l'arrondi du montant déclaré (0,5 € pour un montant à l'euro, 0,05 M€ pour 538,7 M€). "
            "C'est une aide : fir check compare toujours les totaux et dit si un écart s'explique par les "
            "arrondis (avertissement) ou non (erreur).",
        ),
        (
            "",
            "Une table facultative absente de ce classeur s'ajoute en créant une feuille du même nom, "
            "avec ses noms de colonnes en ligne 1 (voir inputs/README.md).",
        ),
    ]


def _what_each_table_holds(tables: Mapping[str, pl.DataFrame]) -> list[tuple[str, str]]:
    """Each table of the contract: its title, its note, and what each of its columns expects."""
    lines: list[tuple[str, str]] = []
    for name, spec in TABLES.items():
        present = "" if name in tables else " (absente de ce classeur)"
        lines.append(("heading", f"{TABLE_TITLES[name]} — feuille « {name} »{present}"))
        lines.append(("", TABLE_NOTES[name]))
        for column in spec.columns:
            optional = ", facultative" if column.optional else ""
            lines.append(
                ("column", f"{COLUMN_TITLES[name][column.name]} ({column.name}){optional} : {EXPECTED[column.kind]}")
            )
    return lines


def _write_lines(sheet: Worksheet, lines: list[tuple[str, str]]) -> None:
    """The guide's lines in column A, each row as high as its wrapped text; titles and headings in bold."""
    sheet.column_dimensions["A"].width = GUIDE_WIDTH
    for row, (style, text) in enumerate(lines, start=1):
        cell = sheet.cell(row, 1, french_spaces(text))
        size = 14 if style == "title" else 12 if style == "heading" else 11
        sheet.row_dimensions[row].height = wrapped_lines(text, GUIDE_WIDTH * 11 / size) * LINE_HEIGHT * size / 11 + 3
        cell.alignment = Alignment(wrap_text=True, vertical="top", indent=2 if style == "column" else 0)
        if style == "title":
            cell.font = Font(bold=True, size=14)
        elif style == "heading":
            cell.font = Font(bold=True, size=12)
            cell.fill = HEADER_FILL


def edition_label(edition: Edition) -> str:
    """The edition as a person names it: "Hauts-de-France, 2024"."""
    return f"{edition.meta.region_name}, {edition.meta.year}"
