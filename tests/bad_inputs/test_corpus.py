"""A corpus of bad (and borderline accepted) inputs, each run through `fir check` as a user runs it.

Every case starts from a fresh copy of the real inputs, applies one small mutation, runs
`python -m flows.cli check` in a subprocess and asserts the exit code, the exact message fragments
(file, line or cell, column, value, what was expected) and that no traceback is printed. The
expected messages are written out in the table, not computed from the code.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import REGION
from tests.helpers import csv_to_xlsx

FIR = [sys.executable, "-m", "flows.cli"]

Mutation = Callable[[Path], None]  # receives the edition folder, inputs/<region>/<year>


# --- mutations -----------------------------------------------------------------------------------


def replace(file: str, old: str, new: str) -> Mutation:
    """Replace the first occurrence of `old` (which must be there) in a UTF-8 text file."""

    def mutate(folder: Path) -> None:
        path = folder / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {file}: the real inputs changed, update the case"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def write(file: str, content: str | bytes) -> Mutation:
    def mutate(folder: Path) -> None:
        path = folder / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)

    return mutate


def delete(file: str) -> Mutation:
    def mutate(folder: Path) -> None:
        (folder / file).unlink()

    return mutate


def copy(source: str, target: str) -> Mutation:
    def mutate(folder: Path) -> None:
        (folder / target).write_bytes((folder / source).read_bytes())

    return mutate


def transform_bytes(file: str, change: Callable[[bytes], bytes]) -> Mutation:
    def mutate(folder: Path) -> None:
        path = folder / file
        path.write_bytes(change(path.read_bytes()))

    return mutate


def drop_column(file: str, column: str) -> Mutation:
    """Remove a column (header and every row) from a `;`-separated CSV file."""

    def mutate(folder: Path) -> None:
        path = folder / file
        rows = [line.split(";") for line in path.read_text(encoding="utf-8").splitlines()]
        index = rows[0].index(column)
        path.write_text("\n".join(";".join(r[:index] + r[index + 1 :]) for r in rows) + "\n", encoding="utf-8")

    return mutate


def workbook(edit: Callable | None = None) -> Mutation:
    """Turn every CSV table into a sheet of figures.xlsx (as a user's Excel export), then edit it."""

    def mutate(folder: Path) -> None:
        path = csv_to_xlsx(folder)
        if edit is not None:
            book = load_workbook(path)
            edit(book)
            book.save(path)

    return mutate


def then(*mutations: Mutation) -> Mutation:
    def mutate(folder: Path) -> None:
        for mutation in mutations:
            mutation(folder)

    return mutate


def _set(sheet: str, cell: str, value) -> Callable:
    def edit(book) -> None:
        book[sheet][cell] = value

    return edit


def _merge(sheet: str, cells: str) -> Callable:
    def edit(book) -> None:
        book[sheet].merge_cells(cells)

    return edit


def _remove_sheet(sheet: str) -> Callable:
    def edit(book) -> None:
        book.remove(book[sheet])

    return edit


def _add_sheet(sheet: str) -> Callable:
    def edit(book) -> None:
        book.create_sheet(sheet).append(["a", "b"])

    return edit


# --- the corpus ----------------------------------------------------------------------------------

E24 = f"{REGION}/2024"
E18 = f"{REGION}/2018"
AMOUNT = (
    "un montant positif sans symbole, chiffres groupés par espaces, décimales après une virgule "
    "(ex. « 303 543 407 » ou « 2,9 ») ; l'unité est dans la colonne « Unité »"
)


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Mutation
    expected: tuple[str, ...]  # fragments of stderr + stdout (narrow / no-break spaces read as spaces)
    year: int = 2024
    exit: int = 1


def _with_e_acute(text: str, line: int) -> str:
    """`text` whose line `line` (from 1) ends with a title holding the file's first « É »."""
    lines = text.split("\n")
    assert "É" not in "\n".join(lines[: line - 1])
    lines[line - 1] = lines[line - 1].rsplit(";", 1)[0] + ";Élargir la médiation en santé"
    return "\n".join(lines)


CASES: list[Case] = [
    # --- files and tables
    Case(
        "missing-required-table",
        delete("execution.csv"),
        (
            f"{E24}/execution.csv — attendu : la table « execution » "
            "(execution.csv, ou une feuille « execution » de figures.xlsx)",
        ),
    ),
    Case(
        "missing-column",
        drop_column("missions.csv", "cp"),
        (
            f"{E18}/missions.csv, ligne 1, colonne « Crédits de paiement (cp) » — attendu : une colonne « "
            f"Crédits de paiement (cp) » ({AMOUNT})",
        ),
        year=2018,
    ),
    Case(
        "extra-column",
        replace("parts.csv", "part_id;number;title", "part_id;number;title;comment"),
        (
            f"{E24}/parts.csv, ligne 1, colonne « comment » : valeur « comment » — attendu : une colonne parmi : "
            "part_id, number, title",
        ),
    ),
    Case(
        "misspelled-column",
        replace("thematics.csv", ";amount;", ";amout;"),
        (
            f"{E24}/thematics.csv, ligne 1, colonne « amout » : valeur « amout » — attendu : une colonne parmi : "
            "thematic_id, kind, label, label_in_sentence, unit, amount, published_share_pct, published_headline",
            f"{E24}/thematics.csv, ligne 1, colonne « Montant (amount) » — attendu : une colonne « Montant "
            f"(amount) » ({AMOUNT})",
        ),
    ),
    Case(
        "duplicate-column",
        replace("parts.csv", "part_id;number;title", "part_id;number;title;number"),
        (
            f"{E24}/parts.csv, ligne 1, colonne « Numéro (number) » : valeur « number » — attendu : "
            "chaque colonne une seule fois",
        ),
    ),
    Case(
        "unknown-table-file",
        copy("revenue.csv", "revenu.csv"),
        (
            f"{E24}/revenu.csv : valeur « revenu.csv » — attendu : un nom de table parmi : revenue, "
            "revenue_priorities, execution, missions, cp_by_nature, thematics, parts, actions, action_amounts, "
            "key_figures",
        ),
    ),
    Case(
        "empty-file",
        write("parts.csv", b""),
        (
            f"{E24}/parts.csv, ligne 1 — attendu : "
            "un en-tête de colonnes puis des lignes de données (le fichier est vide)",
        ),
    ),
    Case(
        "header-only",
        write("parts.csv", "part_id;number;title\n"),
        (f"{E24}/parts.csv, ligne 1 — attendu : au moins une ligne de données après l'en-tête",),
    ),
    Case(
        "missing-reference-missions",
        lambda folder: (folder.parent.parent / "_reference" / "missions.csv").unlink(),
        ("_reference/missions.csv — attendu : la liste nationale des missions du FIR",),
    ),
    # --- amounts (inputs/README.md, "Amounts")
    Case(
        "non-numeric-amount",
        replace("missions.csv", "83 576 684", "83 576 68A"),
        (
            f"{E18}/missions.csv, ligne 4, colonne « Autorisations d'engagement (ae) » : valeur « 83 576 68A "
            f"» — attendu : {AMOUNT}",
        ),
        year=2018,
    ),
    Case(
        "currency-sign",
        replace("thematics.csv", "41 139 625", "41 139 625 €"),
        (f"{E24}/thematics.csv, ligne 4, colonne « Montant (amount) » : valeur « 41 139 625 € » — attendu : {AMOUNT}",),
    ),
    Case(
        "thousands-no-break-spaces-accepted",
        replace("execution.csv", "303 543 407", "303\u00a0543\u202f407"),
        ("AE exécutées (table execution) 303 543 407 € ≠ somme des missions 303 543 408 € (écart −1 €)", "0 erreur(s)"),
        year=2018,
        exit=0,
    ),
    Case(
        "no-thousands-spaces-accepted",
        replace("execution.csv", "303 543 407", "303543407"),
        ("AE exécutées (table execution) 303 543 407 € ≠ somme des missions 303 543 408 € (écart −1 €)", "0 erreur(s)"),
        year=2018,
        exit=0,
    ),
    Case(
        "decimal-comma-accepted",
        replace("revenue.csv", "517,1", "517,10"),
        ("Édition hauts-de-france 2024 : 9 tables", "0 erreur(s)"),
        exit=0,
    ),
    Case(
        "decimal-point-accepted",
        replace("revenue.csv", "517,1", "517.1"),
        ("Édition hauts-de-france 2024 : 9 tables", "0 erreur(s)"),
        exit=0,
    ),
    Case(
        "both-decimal-marks",
        replace("action_amounts.csv", "20,5", "1.234,5"),
        (f"{E24}/action_amounts.csv, ligne 2, colonne « Montant (amount) » : valeur « 1.234,5 » — attendu : {AMOUNT}",),
    ),
    Case(
        "negative-amount",
        replace("cp_by_nature.csv", "M€;3\n", "M€;-3\n"),
        (f"{E24}/cp_by_nature.csv, ligne 2, colonne « Montant (amount) » : valeur « -3 » — attendu : {AMOUNT}",),
    ),
    Case(
        "fractional-euros",
        replace("action_amounts.csv", "750 000", "0,5"),
        (
            f"{E18}/action_amounts.csv, ligne 3, colonne « Montant (amount) » : valeur « 0,5 » — attendu : "
            "un nombre entier d'euros (0,5 € n'en est pas un)",
        ),
        year=2018,
    ),
    Case(
        "empty-required-amount",
        replace("missions.csv", "83 576 684", ""),
        # An amount not typed yet is on the to-do list of what remains to fill in, not a bad cell.
        (
            f"Dépenses par mission ({E18}/missions.csv) : 1 cellule à compléter\n"
            "    Autorisations d'engagement (ae) : 1 montant à saisir (ligne 4)",
            "À compléter : 1 tableau (1 cellule), 0 texte. Rien n'a été publié.",
        ),
        year=2018,
    ),
    Case(
        "amount-too-large",
        replace("cp_by_nature.csv", "M€;3\n", "M€;9 223 372 036 855\n"),
        (
            f"{E24}/cp_by_nature.csv, ligne 2, colonne « Montant (amount) » : valeur « 9 223 372 036 855 » — attendu : "
            "un montant inférieur à 10¹⁵ € (9 223 372 036 855 M€ : unité ou séparateurs erronés ?)",
        ),
    ),
    Case(
        "too-many-decimals",
        replace("revenue.csv", "517,1", "517,1000000"),
        (
            f"{E24}/revenue.csv, ligne 2, colonne « Montant final de l'année (final) » : valeur « 517,1000000 "
            "» — attendu : "
            f"{AMOUNT}, avec au plus 6 décimales",
        ),
    ),
    Case(
        "mission-number-too-long",
        replace("missions.csv", "5;€;", "50000000000000000000;€;"),
        (
            f"{E18}/missions.csv, ligne 6, colonne « Numéro de la mission (mission) » : valeur « "
            "50000000000000000000 » — attendu : "
            "un nombre entier (au plus 9 chiffres)",
        ),
        year=2018,
    ),
    Case(
        "percent-sign-in-rate",
        replace("execution.csv", "99,1", "99,1 %"),
        (
            f"{E18}/execution.csv, ligne 2, colonne « Taux d'exécution publié, en % (rate_pct) » : valeur « "
            "99,1 % » — attendu : "
            "un pourcentage sans le signe % (ex. « 99,1 »)",
        ),
        year=2018,
    ),
    Case(
        "headline-without-unit",
        replace("thematics.csv", "153,3 M€", "153,3 millions"),
        (
            f"{E24}/thematics.csv, ligne 2, colonne « Montant arrondi publié dans le titre "
            "(published_headline) » : valeur « 153,3 millions » — attendu : "
            "un montant suivi de son unité (ex. « 115 M€ », « 208 k€ »)",
        ),
    ),
    Case(
        "headline-fractional-euros",
        replace("thematics.csv", "208 k€", "208,5 €"),
        (
            f"{E24}/thematics.csv, ligne 26, colonne « Montant arrondi publié dans le titre "
            "(published_headline) » : valeur « 208,5 € » — attendu : "
            "un nombre entier d'euros (208,5 € n'en est pas un)",
        ),
    ),
    Case(
        "bad-unit",
        replace("cp_by_nature.csv", "M€;3\n", "EUR;3\n"),
        (
            f"{E24}/cp_by_nature.csv, ligne 2, colonne « Unité (unit) » : valeur « EUR » — attendu : "
            "une unité parmi « € », « k€ », « M€ »",
        ),
    ),
    # --- identifiers and references between tables
    Case(
        "duplicate-line-id",
        replace("revenue.csv", "titres-de-recettes;", "delegations-nationales;"),
        tuple(
            f"{E24}/revenue.csv, ligne {line}, colonne « Identifiant de la ligne (line_id) » : valeur « "
            "delegations-nationales » — attendu : "
            "une valeur de « Identifiant de la ligne (line_id) » unique dans la table (doublon)"
            for line in (2, 3)
        ),
    ),
    Case(
        "duplicate-mission",
        replace("missions.csv", "2;€;", "1;€;"),
        (
            f"{E18}/missions.csv, ligne 3, colonne « Numéro de la mission (mission) » : valeur « 1 » — attendu : "
            "une valeur de « Numéro de la mission (mission) » unique dans la table (doublon)",
        ),
        year=2018,
    ),
    Case(
        "unknown-mission",
        replace("missions.csv", "5;€;", "6;€;"),
        (
            f"{E18}/missions.csv, ligne 6, colonne « Numéro de la mission (mission) » : valeur « 6 » — attendu : "
            "un numéro de mission du FIR (parmi : 1, 2, 3, 4, 5)",
        ),
        year=2018,
    ),
    Case(
        "id-not-a-slug",
        replace("parts.csv", "territoires-prioritaires;1", "Territoires prioritaires;1"),
        (
            f"{E24}/parts.csv, ligne 2, colonne « Identifiant de la partie (part_id) » : valeur « Territoires "
            "prioritaires » — attendu : "
            "un identifiant en minuscules, chiffres et tirets (ex. « total », « mission-2 »)",
        ),
    ),
    Case(
        "unknown-part-id",
        replace("actions.csv", "p1-bassin-minier;territoires-prioritaires;;", "p1-bassin-minier;territoires;;"),
        (
            f"{E24}/actions.csv, ligne 2, colonne « Partie (part_id) » : valeur « territoires » — attendu : "
            "une partie déclarée "
            "dans parts (parmi : dispositifs-territoriaux, parcours-de-sante, situations-exceptionnelles, "
            "territoires-prioritaires)",
        ),
    ),
    Case(
        "unknown-parent-id",
        replace("actions.csv", ";p1-bassin-minier;", ";p1-bassin;"),
        (
            f"{E24}/actions.csv, ligne 3, colonne « Section parente (parent_id) » : valeur « p1-bassin » — attendu : "
            "une section (action sans parent) déclarée plus haut (parmi : p1-bassin-minier, p1-sat,",
        ),
    ),
    Case(
        "parent-in-another-part",
        replace(
            "actions.csv",
            "p1-bassin-minier-offre;territoires-prioritaires;",
            "p1-bassin-minier-offre;dispositifs-territoriaux;",
        ),
        (
            f"{E24}/actions.csv, ligne 3, colonne « Partie (part_id) » : valeur « dispositifs-territoriaux » "
            "— attendu : "
            "la même partie que sa section « p1-bassin-minier » (territoires-prioritaires)",
        ),
    ),
    Case(
        "unknown-action-in-action-amounts",
        replace("action_amounts.csv", "p1-sat-investissements;", "p1-sat-invest;"),
        (
            f"{E24}/action_amounts.csv, ligne 5, colonne « Section ou action (action_id) » : valeur « "
            "p1-sat-invest » — attendu : "
            "une action déclarée dans actions (parmi : p1-bassin-minier,",
        ),
    ),
    Case(
        "unknown-action-in-key-figures",
        replace("key_figures.csv", "p2-clsm;22;", "p2-cls-m;22;"),
        (
            f"{E24}/key_figures.csv, ligne 4, colonne « Section ou action (action_id) » : valeur « p2-cls-m » "
            "— attendu : "
            "une action déclarée dans actions (parmi : p1-bassin-minier,",
        ),
    ),
    # --- texts
    Case(
        "text-for-no-action",
        write("texts/actions/p9-inconnue.md", "Texte.\n"),
        (
            f"{E24}/texts/actions/p9-inconnue.md : valeur « p9-inconnue » — attendu : "
            "un nom de fichier égal à un identifiant de actions",
        ),
    ),
    Case(
        "text-not-markdown",
        write("texts/actions/notes.txt", "Texte.\n"),
        (f"{E24}/texts/actions/notes.txt : valeur « notes.txt » — attendu : des fichiers Markdown (.md) dans texts/",),
    ),
    Case(
        "text-unknown-top-level",
        write("texts/introduction.md", "Texte.\n"),
        (
            f"{E24}/texts/introduction.md : valeur « introduction » — attendu : "
            "fir.md, actions.md, chiffres.md ou un sous-dossier actions/, parts/, thematics/",
        ),
    ),
    Case(
        "text-unknown-subfolder",
        write("texts/annexes/sigles.md", "Texte.\n"),
        (
            f"{E24}/texts/annexes/sigles.md : valeur « annexes/sigles » — attendu : "
            "un fichier de texts/actions/, texts/parts/ ou texts/thematics/",
        ),
    ),
    Case(
        "unknown-figure-name",
        replace(
            "texts/thematics/investissements.md",
            "[[thematics.investissements.share]]",
            "[[thematics.investisements.share]]",
        ),
        (
            f"{E24}/texts/thematics/investissements.md, ligne 3, caractère 42 : "
            "valeur « [[thematics.investisements.share]] » — attendu : le nom d'un chiffre des tables "
            "(proche : thematics.investissements.share,",
        ),
    ),
    Case(
        "broken-front-matter",
        write("texts/fir.md", "---\ntitle: [non fermé\n---\nTexte.\n"),
        (
            f"{E24}/texts/fir.md, ligne 3 — attendu : un en-tête YAML valide entre deux lignes « --- » "
            "(did not find expected ',' or ']' ; élément commencé ligne 2)",
        ),
    ),
    Case(
        "front-matter-bad-line",
        write("texts/fir.md", "---\ntitre: Le FIR\nauteur: : ARS\n---\nTexte.\n"),
        (
            f"{E24}/texts/fir.md, ligne 3 — attendu : un en-tête YAML valide entre deux lignes « --- » "
            "(mapping values are not allowed in this context)",
        ),
    ),
    Case(
        "markdown-latin1",
        write("texts/fir.md", "Crédits.\n".encode("cp1252")),
        (f"{E24}/texts/fir.md, ligne 1 : valeur « octet 0xE9 » — attendu : un texte encodé en UTF-8",),
    ),
    # --- rows and reconciliations
    Case(
        "bad-kind",
        replace("revenue.csv", "titres-de-recettes;line;", "titres-de-recettes;ligne;"),
        (
            f"{E24}/revenue.csv, ligne 3, colonne « Genre : ligne ou total (kind) » : valeur « ligne » — attendu : "
            "« line » (une ligne) ou « total » (le total déclaré)",
        ),
    ),
    Case(
        "two-total-rows",
        replace("revenue.csv", "titres-de-recettes;line;", "titres-de-recettes;total;"),
        (
            f"{E24}/revenue.csv, colonne « Genre : ligne ou total (kind) » — attendu : exactement une ligne « "
            "total » (trouvé : 2, lignes 3, 4)",
        ),
    ),
    Case(
        "no-total-row",
        replace("thematics.csv", "total;total;", "total;line;"),
        (
            f"{E24}/thematics.csv, colonne « Genre : ligne ou total (kind) » — attendu : "
            "exactement une ligne « total » (trouvé : 0, lignes aucune)",
        ),
    ),
    Case(
        "thematics-total-zero",
        replace("thematics.csv", "total;total;Total;€;538 736 879", "total;total;Total;€;0"),
        (
            f"{E24}/thematics.csv, ligne 27, colonne « Montant (amount) » : valeur « 0 » — attendu : "
            "un total non nul (les parts des lignes sont calculées sur ce total)",
        ),
    ),
    Case(
        "execution-without-opened-or-rate",
        replace("execution.csv", "536,9;;99,9", "536,9;;"),
        (
            f"{E24}/execution.csv, ligne 2, colonne « Crédits ouverts au dernier budget rectificatif (opened) "
            "» : valeur «  » — attendu : des crédits ouverts non "
            "nuls (« opened ») ou un taux publié (« rate_pct ») : sans l'un ni l'autre, pas de taux d'exécution",
        ),
    ),
    Case(
        "execution-opened-zero-without-rate",
        replace("execution.csv", "536,9;;99,9", "536,9;0;"),
        (
            f"{E24}/execution.csv, ligne 2, colonne « Crédits ouverts au dernier budget rectificatif (opened) "
            "» : valeur « 0 » — attendu : des crédits ouverts non nuls",
        ),
    ),
    Case(
        "bad-budget",
        replace("execution.csv", "AE;", "AE2;"),
        (
            f"{E24}/execution.csv, ligne 2, colonne « Budget : AE ou CP (budget) » : valeur « AE2 » — attendu "
            ": « AE » ou « CP »",
        ),
    ),
    Case(
        "total-gap-beyond-tolerance",
        replace("thematics.csv", "538 736 879", "538 836 879"),
        (
            "[ERREUR] Dépenses par thématique : total publié 538 836 879 € ≠ somme des lignes 538 736 882 € "
            "(écart +99 997 €, au-delà de la tolérance d'arrondi de 13 €).",
            f"où : {E24}/thematics.csv, ligne 27, colonne « Montant (amount) »",
            "Bilan : 2 erreur(s)",
        ),
    ),
    Case(
        "total-gap-1-euro-warning",
        replace("revenue.csv", "2 640 727", "2 640 728"),
        (
            "[avertissement] Recettes, Recettes 2018 : total déclaré 305 600 382 € ≠ somme des lignes "
            "305 600 383 € (écart −1 €). Écart publié, valeurs conservées telles que publiées.",
            f"où : {E18}/revenue.csv, ligne 7, colonne « Montant final de l'année (final) »",
            "Bilan : 0 erreur(s), 3 avertissement(s) — données utilisables.",  # 3rd: no web address set
        ),
        year=2018,
        exit=0,
    ),
    Case(
        "earmarked-above-total-revenue",
        replace("revenue_priorities.csv", "M€;6,7", "M€;600"),
        (
            "[ERREUR] « Dispositifs financés en quartiers prioritaires de la politique de la ville (QPV) » "
            "(600 000 000 €) dépasse le total des recettes (522 200 000 €)",
            f"où : {E24}/revenue_priorities.csv, ligne 2, colonne « Montant (amount) »",
        ),
    ),
    # --- edition.toml
    Case(
        "year-disagrees",
        replace("edition.toml", "year = 2024", "year = 2025"),
        (f"{E24}/edition.toml, colonne « year » : valeur « 2025 » — attendu : 2024, le nom du dossier de l'année",),
    ),
    Case(
        "year-as-text",
        replace("edition.toml", "year = 2024", 'year = "2024"'),
        (f"{E24}/edition.toml, colonne « year » : valeur « 2024 » — attendu : le nombre 2024, sans guillemets",),
    ),
    Case(
        "region-disagrees",
        replace("edition.toml", 'region = "hauts-de-france"', 'region = "picardie"'),
        (
            f"{E24}/edition.toml, colonne « region » : valeur « picardie » — attendu : "
            "« hauts-de-france », le nom du dossier de la région",
        ),
    ),
    Case(
        "broken-toml",
        replace("edition.toml", 'title = "Le', "title = Le"),
        (
            f"{E24}/edition.toml, ligne 7, caractère 9 : valeur « title = Le Fonds d'intervention régional 2024\" » — "
            "attendu : un fichier TOML valide (valeur illisible ; un texte s'écrit entre guillemets)",
        ),
    ),
    Case(
        "missing-toml-key",
        replace("edition.toml", 'agency_short = "ARS Hauts-de-France"\n', ""),
        (f"{E24}/edition.toml, colonne « agency_short » — attendu : une clé « agency_short »",),
    ),
    Case(
        "bad-colour",
        replace("edition.toml", 'primary = "#00467f"', 'primary = "bleu"'),
        (f"{E24}/edition.toml, colonne « brand.primary » : valeur « bleu » — attendu : une couleur « #rrggbb »",),
    ),
    Case(
        "brand-not-a-table",
        replace("edition.toml", "[brand]\n", 'brand = "bleu"\n[brand-2023]\n'),
        (f"{E24}/edition.toml, colonne « brand » : valeur « bleu » — attendu : une section « [brand] »",),
    ),
    Case(
        "logo-outside-edition",
        replace("edition.toml", "[brand]\n", '[brand]\nlogo = "../../README.md"\n'),
        (
            f"{E24}/edition.toml, colonne « brand.logo » : valeur « ../../README.md » — attendu : "
            "un fichier logo dans le dossier de l'édition",
        ),
    ),
    Case(
        "missing-edition-toml",
        delete("edition.toml"),
        (f"{E24}/edition.toml — attendu : un fichier edition.toml décrivant l'édition",),
    ),
    Case(
        "unknown-subset-thematic",
        replace("edition.toml", '"investissements", ', '"investissement", '),
        (
            f"{E24}/edition.toml, colonne « thematic_subset.exclude » : valeur « investissement » — attendu : "
            "une thématique de la table thematics",
        ),
    ),
    Case(
        "subset-exclude-not-a-list",
        replace("edition.toml", '["investissements", "permanence-des-soins"]', '"investissements"'),
        (
            f"{E24}/edition.toml, colonne « thematic_subset.exclude » : valeur « investissements » — attendu : "
            'une liste d\'identifiants de thématiques (ex. ["investissements"])',
        ),
    ),
    # --- CSV encodings and shapes
    Case(
        "windows-1252-csv-accepted",  # French Excel's default "CSV (séparateur : point-virgule)"
        transform_bytes("revenue.csv", lambda data: data.decode("utf-8").encode("cp1252")),
        (
            "[avertissement] revenue.csv est encodé en Windows-1252 (pas en UTF-8) : lu en Windows-1252 ; "
            "vérifier ses accents, ou l'enregistrer en « CSV UTF-8 » pour ne plus voir cet avertissement",
            f"où : {E18}/revenue.csv",
            "0 erreur(s)",
        ),
        year=2018,
        exit=0,
    ),
    Case(
        "dos-cp850-csv",  # é is 0x82, which Windows-1252 has (as ‚); É is 0x90, which it has not
        transform_bytes(
            "actions.csv", lambda data: _with_e_acute(data.decode("utf-8"), 19).encode("cp850", errors="replace")
        ),
        (
            f"{E24}/actions.csv, ligne 19 : valeur « octet 0x90 » — attendu : un fichier encodé en UTF-8 ou en "
            "Windows-1252 (ré-exporter en « CSV UTF-8 »)",
        ),
    ),
    Case(
        "utf8-bom-accepted",
        transform_bytes("revenue.csv", lambda data: b"\xef\xbb\xbf" + data),
        ("Édition hauts-de-france 2024 : 9 tables", "0 erreur(s)"),
        exit=0,
    ),
    Case(
        "crlf-accepted",
        transform_bytes("thematics.csv", lambda data: data.replace(b"\n", b"\r\n")),
        (f"où : {E24}/thematics.csv, ligne 27, colonne « Montant (amount) »", "0 erreur(s)"),
        exit=0,
    ),
    Case(
        "too-many-cells",
        replace("parts.csv", ";1;Une action", ";1;Une;action"),
        (
            f"{E24}/parts.csv, ligne 2 : valeur « territoires-prioritaires;1;Une;action renforcée au bénéfice… » — "
            "attendu : 3 colonnes comme l'en-tête (trouvé : 4 ; séparateur « ; » dans une valeur non protégée par "
            "des guillemets ?)",
        ),
    ),
    Case(
        "comma-separated-unquoted-decimal",
        write(
            "cp_by_nature.csv",
            "nature_id,label,unit,amount\ncommande-publique,Achat,M€,3\noperateurs,Versements,M€,535,7\n",
        ),
        (
            f"{E24}/cp_by_nature.csv, ligne 3 : valeur « operateurs,Versements,M€,535,7 » — attendu : "
            "4 colonnes comme l'en-tête (trouvé : 5 ; séparateur « , »",
        ),
    ),
    Case(
        "unclosed-quote",
        replace("parts.csv", ";1;Une action", ';1;"Une action'),
        (
            f'{E24}/parts.csv, ligne 2 : valeur « territoires-prioritaires;1;"Une action renforcée au bénéfic… » — '
            'attendu : un guillemet « " » fermant la valeur ouverte sur cette ligne',
        ),
    ),
    Case(
        "text-after-closing-quote",
        replace("parts.csv", ";1;Une action", ';1;"Une" action'),
        (
            f'{E24}/parts.csv, ligne 2 : valeur « territoires-prioritaires;1;"Une" action renforcée au bénéfi… » — '
            "attendu : un guillemet fermant suivi du séparateur « ; » ou de la fin de ligne",
        ),
    ),
    Case(
        "nul-bytes",
        write("parts.csv", b"part_id;number;title\n\x00\x00\n"),
        (f"{E24}/parts.csv — attendu : un fichier texte CSV (il contient des octets nuls)",),
    ),
    # --- workbooks
    Case(
        "xlsx-accepted",
        workbook(),
        (f"où : {E24}/figures.xlsx, feuille « thematics », ligne 27, colonne « Montant (amount) »", "0 erreur(s)"),
        exit=0,
    ),
    Case(
        "xlsx-missing-sheet",
        workbook(_remove_sheet("execution")),
        (
            f"{E24}/figures.xlsx — attendu : la table « execution » "
            "(execution.csv, ou une feuille « execution » de figures.xlsx)",
        ),
    ),
    Case(
        "xlsx-formula-without-stored-value",  # as openpyxl writes it: refused; with its value, read
        workbook(_set("missions", "C3", "=1+1")),
        (
            f"{E18}/figures.xlsx, feuille « missions », cellule C3, colonne « Autorisations d'engagement (ae) "
            "» : valeur « =1+1 » — attendu : "
            "une formule enregistrée avec sa valeur calculée (le fichier n'en contient pas : ouvrir et enregistrer "
            "le classeur dans Excel ou LibreOffice, ou coller en valeurs)",
        ),
        year=2018,
    ),
    Case(
        "xlsx-merged-cells",
        workbook(_merge("revenue", "C2:D2")),
        (
            f"{E24}/figures.xlsx, feuille « revenue », cellule C2:D2 : valeur « C2:D2 » — attendu : "
            "des cellules non fusionnées (défusionner et recopier la valeur)",
        ),
    ),
    Case(
        "xlsx-unknown-sheet",
        workbook(_add_sheet("Feuil1")),
        (
            f"{E24}/figures.xlsx : valeur « Feuil1 » — attendu : des feuilles nommées parmi : revenue, "
            "revenue_priorities, execution, missions, cp_by_nature, thematics, parts, actions, action_amounts, "
            "key_figures",
        ),
    ),
    Case(
        "xlsx-bad-amount-cell",
        workbook(_set("cp_by_nature", "D3", "535,7 M€")),
        (
            f"{E24}/figures.xlsx, feuille « cp_by_nature », cellule D3, colonne « Montant (amount) » : "
            f"valeur « 535,7 M€ » — attendu : {AMOUNT}",
        ),
    ),
    Case(
        "xlsx-truncated",
        then(workbook(), transform_bytes("figures.xlsx", lambda data: data[: len(data) // 2])),
        (f"{E24}/figures.xlsx — attendu : un classeur Excel .xlsx valide (ouverture impossible : BadZipFile)",),
    ),
    Case(
        "xlsx-not-a-workbook",
        copy("missions.csv", "figures.xlsx"),
        (f"{E18}/figures.xlsx — attendu : un classeur Excel .xlsx valide (ouverture impossible : BadZipFile)",),
        year=2018,
    ),
    Case(
        "xlsx-and-csv-for-one-table",
        then(workbook(), write("parts.csv", "part_id;number;title\nx;1;X\n")),
        (
            f"{E24}/figures.xlsx — attendu : une seule source par table : 1 table(s) sont à la fois dans "
            "figures.xlsx et dans un fichier CSV (parts.csv). Pour travailler dans le classeur, déplacez ces "
            "fichiers CSV dans ",
            f"/{E24}/_anciens-csv/ (un dossier que l'outil ne lit pas), ou lancez « ",
            f" workbook --region {REGION} --year 2024 --ranger-csv --inputs ",
        ),
    ),
]


def test_the_corpus_is_large_and_its_ids_unique():
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, inputs_copy: Path):
    case.mutate(inputs_copy / REGION / str(case.year))
    result = subprocess.run(
        [*FIR, "check", "--region", REGION, "--year", str(case.year), "--inputs", str(inputs_copy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = _plain(result.stderr + result.stdout)
    assert "Traceback" not in output, output
    assert result.returncode == case.exit, output
    for fragment in case.expected:
        assert fragment in output, f"missing: {fragment}\n--- output:\n{output}"
    if case.exit == 1 and "[ERREUR]" not in output:
        assert "Rien n'a été publié" in output


def _plain(text: str) -> str:
    """Narrow no-break and no-break spaces (French number formats) read as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")
