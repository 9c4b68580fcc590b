"""The French names of the input tables and of their columns: one table of words used everywhere a person
reads about them (the workbook, the to-do list of an edition being filled in, `fir check`).

The contract's names (`amount`, `rate_pct`) are what a person types in a CSV header or finds in one: they
are shown only in parentheses after the French title, never alone (`column_label`).
"""

from __future__ import annotations

# A table's name in a list or a heading (`Recettes (revenue.csv)`).
TABLE_NAMES: dict[str, str] = {
    "revenue": "Recettes",
    "revenue_priorities": "Priorités nationales",
    "execution": "Exécution AE / CP",
    "missions": "Dépenses par mission",
    "cp_by_nature": "CP par nature",
    "thematics": "Dépenses par thématique",
    "parts": "Parties",
    "actions": "Sections et actions",
    "action_amounts": "Montants des actions",
    "key_figures": "Chiffres clés",
}
# The French title of every column of every table: the workbook's headers and guide, the to-do list of an
# edition being filled in, the messages that name a column.
COLUMN_TITLES: dict[str, dict[str, str]] = {
    "revenue": {
        "line_id": "Identifiant de la ligne",
        "kind": "Genre : ligne ou total",
        "label": "Libellé imprimé",
        "reference": "Référence de la notification",
        "unit": "Unité des montants",
        "previous_year": "Montant final de l'année précédente",
        "br1": "Budget rectificatif 1",
        "br2": "Budget rectificatif 2",
        "br3": "Budget rectificatif 3",
        "br4": "Budget rectificatif 4",
        "final": "Montant final de l'année",
    },
    "revenue_priorities": {
        "item_id": "Identifiant",
        "label": "Libellé",
        "qualifier": "Qualificatif imprimé avant le montant",
        "unit": "Unité",
        "amount": "Montant",
    },
    "execution": {
        "budget": "Budget : AE ou CP",
        "label": "Libellé imprimé",
        "unit": "Unité des montants",
        "executed": "Montant exécuté dans l'année",
        "opened": "Crédits ouverts au dernier budget rectificatif",
        "rate_pct": "Taux d'exécution publié, en %",
    },
    "missions": {
        "mission": "Numéro de la mission (1 à 5)",
        "unit": "Unité des montants",
        "ae": "Autorisations d'engagement",
        "cp": "Crédits de paiement",
    },
    "cp_by_nature": {
        "nature_id": "Identifiant de la nature",
        "label": "Libellé imprimé",
        "unit": "Unité",
        "amount": "Montant",
    },
    "thematics": {
        "thematic_id": "Identifiant de la thématique",
        "kind": "Genre : ligne ou total",
        "label": "Libellé imprimé",
        "label_in_sentence": "Libellé dans une phrase (si la règle de la minuscule ne convient pas)",
        "unit": "Unité",
        "amount": "Montant",
        "published_share_pct": "Part publiée, en %",
        "published_headline": "Montant arrondi publié dans le titre (ex. « 115 M€ »)",
    },
    "parts": {"part_id": "Identifiant de la partie", "number": "Numéro", "title": "Titre"},
    "actions": {
        "action_id": "Identifiant de la section ou de l'action",
        "part_id": "Partie",
        "parent_id": "Section parente (vide pour une section)",
        "title": "Titre publié",
    },
    "action_amounts": {
        "action_id": "Section ou action",
        "label": "Texte après le montant",
        "qualifier": "Texte avant le montant (ex. « dont »)",
        "unit": "Unité",
        "amount": "Montant",
    },
    "key_figures": {
        "action_id": "Section ou action",
        "value": "Nombre",
        "unit": "Unité (vide, %, €, k€ ou M€)",
        "label": "Mots imprimés en grand",
        "detail": "Détail, en petit",
    },
    # the national reference of the five missions' names (inputs/_reference/missions.csv)
    "missions_reference": {"mission": "Numéro de la mission (1 à 5)", "short_label": "Nom court de la mission"},
}


def column_label(table: str, column: str) -> str:
    """A column as a person reads it and finds it in the file: `Taux d'exécution publié, en % (rate_pct)`,
    its title without the title's own explanation in parentheses (`Montant arrondi publié dans le titre`);
    the contract's name alone for a column this table does not list (a misspelt header)."""
    title = column_title(table, column)
    return f"{title} ({column})" if title else column


def column_title(table: str, column: str) -> str | None:
    """A column's French title, short (without its explanation in parentheses); None when unknown."""
    title = COLUMN_TITLES.get(table, {}).get(column)
    return title.split(" (")[0] if title else None


# Files of an edition's folder that are no table, as a person names them.
FILE_NAMES: dict[str, str] = {
    "edition.toml": "Réglages de l'édition",
}


def file_label(name: str) -> str:
    """An input file as a person reads it (`Recettes (revenue.csv)`, `Texte actions/p2-msp.md`): its French
    name first, the file's own name after it, as it appears in the workbook, the history and the folder.
    `name` is relative to the edition's folder."""
    stem, _, suffix = name.rpartition(".")
    if suffix in ("csv", "xlsx") and stem in TABLE_NAMES:
        return f"{TABLE_NAMES[stem]} ({name})"
    if name.startswith("texts/"):
        return f"Texte {name.removeprefix('texts/')}"
    if name in FILE_NAMES:
        return f"{FILE_NAMES[name]} ({name})"
    return name
