"""The open-data package's tables: the edition's figure tables as validated, and the figures the brochure
computes from them, as the brochure prints them. Pure: frames in, rows out.

What is in it, and why (README, "Données ouvertes"):
- every figure table of the inputs (revenue, revenue_priorities, execution, missions, cp_by_nature,
  thematics, action_amounts, key_figures), one row per input row, amounts in whole euros (the value the
  typed figure stands for: `517,1 M€` → 517 100 000) with the unit it was published in;
- the computed figures beside the amounts they come from, rounded as printed: shares of missions and
  thematics, execution rates, the stage-by-stage variances of the revenue, the thematic subset and the
  comparison across editions — so each number of the "en chiffres" tables is in a column of its own;
- `printed_figures`: every figure the brochure prints, by the name texts use (`[[revenue.total]]`), with
  the text printed and its value as a number. A reader checks one cell of the brochure against it.
Structure-only tables (parts, actions) are not figures: an action's title is given beside its amounts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl

from flows.edition.compute import figures as compute
from flows.edition.french import UNIT_FACTORS, parse_number, round_half_up

EUR, PCT = "EUR", "%"
Cell = str | int | Decimal | None


@dataclass(frozen=True)
class Field:
    """One column: its name (the CSV header), Table Schema type, French title, description and unit."""

    name: str
    type: str  # string | integer | number
    title: str
    description: str = ""
    unit: str | None = None  # EUR, %, … (a custom Table Schema property)


@dataclass(frozen=True)
class Table:
    """One table of the package, its rows in the brochure's order."""

    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    rows: tuple[tuple[Cell, ...], ...]
    primary_key: tuple[str, ...] = ()


def _text(name: str, title: str, description: str = "") -> Field:
    return Field(name, "string", title, description)


def _euros(name: str, title: str, description: str = "") -> Field:
    return Field(name, "integer", title, description or "Montant en euros.", EUR)


def _pct(name: str, title: str, description: str) -> Field:
    return Field(name, "number", title, description, PCT)


UNIT_FIELD = _text(
    "unit",
    "Unité de publication",
    "Unité dans laquelle le montant est publié (€, k€, M€) ; les montants de la table sont en euros.",
)


def rounded(value: float | Decimal | None, decimals: int | None) -> Decimal | None:
    """A computed figure at the precision the brochure prints it (half-up), None where there is none."""
    return None if value is None else round_half_up(value, decimals or 0)


def _rows(frame: pl.DataFrame, columns: Sequence[str]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(tuple(row) for row in frame.select(columns).iter_rows())


def revenue_table(revenue: pl.DataFrame, year: int) -> Table:
    """The revenue lines and their declared total at each budget stage the edition gives."""
    stages = [(c, label) for c, label in compute.STAGES if c in revenue.columns and revenue[c].is_not_null().any()]
    fields = (
        _text("line_id", "Identifiant de la ligne", "Identifiant stable de la recette (« total » pour le total)."),
        _text("kind", "Genre", "« line » : une recette ; « total » : le total déclaré."),
        _text("label", "Libellé", "Libellé de la recette, tel qu'imprimé."),
        _text("reference", "Référence", "Texte qui notifie la recette (circulaire, arrêté), s'il y en a un."),
        *(
            _euros(c, label.format(year=year, previous=year - 1), "Montant en euros à cette étape budgétaire.")
            for c, label in stages
        ),
        UNIT_FIELD,
    )
    return Table(
        "revenue",
        f"Recettes du FIR {year}",
        "Recettes par ligne et total déclaré, à chaque étape budgétaire (tableau « Recettes » de la brochure).",
        fields,
        _rows(revenue, [f.name for f in fields]),
        ("line_id",),
    )


def revenue_stages_table(stages: pl.DataFrame, year: int) -> Table:
    """The declared total at each stage and its change from the stage before, as printed."""
    rows = tuple(
        (r["stage"], r["label"], r["amount"], r["delta"], rounded(r["delta_pct"], 2))
        for r in stages.iter_rows(named=True)
    )
    return Table(
        "revenue_stages",
        "Évolution de l'enveloppe aux étapes budgétaires",
        f"Total des recettes {year} à chaque étape budgétaire et écart avec l'étape précédente.",
        (
            _text("stage", "Étape", "previous_year : année précédente ; br1 à br4 : budgets rectificatifs ; final."),
            _text("label", "Libellé de l'étape", "L'étape telle qu'imprimée (« BR1 2018 »)."),
            _euros("amount", "Total", "Total déclaré des recettes à cette étape, en euros."),
            _euros("delta", "Écart", "Écart avec l'étape précédente, en euros."),
            _pct("delta_pct", "Évolution", "Évolution depuis l'étape précédente, en %, à 0,01 près comme imprimée."),
        ),
        rows,
        ("stage",),
    )


def priorities_table(priorities: pl.DataFrame) -> Table:
    fields = (
        _text("item_id", "Identifiant", "Identifiant stable de la priorité."),
        _text("label", "Libellé", "La priorité nationale financée, telle qu'imprimée."),
        _text("qualifier", "Qualificatif", "Texte imprimé avant le montant (ex. « plus de »)."),
        _euros("amount", "Montant"),
        UNIT_FIELD,
    )
    return Table(
        "revenue_priorities",
        "Priorités nationales financées",
        "Montants des recettes fléchés vers des priorités nationales, cités dans la brochure.",
        fields,
        _rows(priorities, [f.name for f in fields]),
        ("item_id",),
    )


def execution_table(rates: pl.DataFrame, year: int) -> Table:
    """AE and CP executed, credits opened where known, and the execution rate as printed."""
    rows = tuple(
        (
            r["budget"],
            r["label"],
            r["executed"],
            r["opened"],
            rounded(r["rate"], r["rate_dp"]),
            r["rate_source"],
            r["unit"],
        )
        for r in rates.iter_rows(named=True)
    )
    return Table(
        "execution",
        f"Exécution des dépenses {year}",
        "Autorisations d'engagement (AE) et crédits de paiement (CP) exécutés, et taux d'exécution.",
        (
            _text("budget", "Budget", "AE : autorisations d'engagement ; CP : crédits de paiement."),
            _text("label", "Libellé", "Autorisations d'engagement ou crédits de paiement."),
            _euros("executed", "Exécuté", "Montant exécuté dans l'année, en euros."),
            _euros("opened", "Crédits ouverts", "Crédits ouverts au dernier budget rectificatif, en euros."),
            _pct("rate_pct", "Taux d'exécution", "Dépenses rapportées aux crédits ouverts, en %, comme imprimé."),
            _text("rate_source", "Origine du taux", "« calculé » sur les crédits ouverts, ou « publié »."),
            UNIT_FIELD,
        ),
        rows,
        ("budget",),
    )


def missions_table(missions: pl.DataFrame) -> Table:
    """AE and CP by mission with their shares of the AE and CP executed, as printed."""
    rows = []
    for r in missions.iter_rows(named=True):
        shares = []
        for budget in ("ae", "cp"):
            rounded_share, exact = r[f"{budget}_share"], r[f"{budget}_share_exact"]
            shares.append(None if rounded_share is None else rounded(*compute.shown_share(rounded_share, exact)))
        rows.append((r["mission"], r["short_label"], r["ae"], shares[0], r["cp"], shares[1], r["unit"]))
    return Table(
        "missions",
        "AE et CP par mission du FIR",
        "Dépenses par mission : autorisations d'engagement, crédits de paiement et leur part.",
        (
            Field("mission", "integer", "Mission", "Numéro de la mission du FIR (1 à 5)."),
            _text("label", "Intitulé de la mission", "Intitulé court de la mission du FIR."),
            _euros("ae", "AE", "Autorisations d'engagement exécutées, en euros."),
            _pct("ae_share", "Part des AE", "Part des AE exécutées, en %, arrondie comme imprimée."),
            _euros("cp", "CP", "Crédits de paiement exécutés, en euros."),
            _pct("cp_share", "Part des CP", "Part des CP exécutés, en %, arrondie comme imprimée."),
            UNIT_FIELD,
        ),
        tuple(rows),
        ("mission",),
    )


def natures_table(natures: pl.DataFrame) -> Table:
    fields = (
        _text("nature_id", "Identifiant", "Identifiant stable de la nature de dépense."),
        _text("label", "Nature", "La nature de dépense, telle qu'imprimée."),
        _euros("amount", "CP", "Crédits de paiement exécutés pour cette nature, en euros."),
        UNIT_FIELD,
    )
    return Table(
        "cp_by_nature",
        "Répartition des CP par nature de dépense",
        "Crédits de paiement exécutés par nature de dépense.",
        fields,
        _rows(natures, [f.name for f in fields]),
        ("nature_id",),
    )


_SHARE = "Part du total, en %, telle qu'imprimée (la part publiée quand l'édition en donne une)."


def thematics_table(split: pl.DataFrame, total: Mapping[str, Any], year: int) -> Table:
    """Thematic lines as printed (largest first), each share and rounded heading, then the declared total."""
    rows: list[tuple[Cell, ...]] = [
        (
            r["thematic_id"],
            "line",
            r["label"],
            r["amount"],
            rounded(r["share_display"], r["share_display_dp"]),
            r["headline"],
            r["unit"],
        )
        for r in split.iter_rows(named=True)
    ]
    rows.append((total["thematic_id"], "total", total["label"], total["amount"], Decimal("100.0"), None, total["unit"]))
    return Table(
        "thematics",
        f"Dépenses du FIR {year} par thématique",
        "Dépenses (crédits de paiement) par grande thématique, de la plus importante à la moindre, puis le total.",
        (
            _text("thematic_id", "Identifiant de la thématique", "Identifiant stable (« total » pour le total)."),
            _text("kind", "Genre", "« line » : une thématique ; « total » : le total déclaré."),
            _text("label", "Thématique", "La thématique de dépense, telle qu'imprimée."),
            _euros("amount", "Montant"),
            _pct("share_pct", "Part", _SHARE),
            _euros("headline", "Montant arrondi", "Montant arrondi imprimé dans le titre de la thématique, en euros."),
            UNIT_FIELD,
        ),
        tuple(rows),
        ("thematic_id",),
    )


def subset_table(subset: pl.DataFrame, title: str | None, exclude: Sequence[str]) -> Table:
    rows = tuple(
        (r["thematic_id"], r["label"], r["amount"], rounded(r["share_display"], r["share_display_dp"]), r["unit"])
        for r in subset.iter_rows(named=True)
    )
    return Table(
        "thematic_subset",
        title or "Répartition par thématique, hors thématiques exclues",
        f"Les thématiques hors {', '.join(exclude)}, avec leur part de la somme de ces thématiques.",
        (
            _text("thematic_id", "Identifiant de la thématique", "Identifiant stable (« total » pour le total)."),
            _text("label", "Thématique", "La thématique de dépense, telle qu'imprimée."),
            _euros("amount", "Montant"),
            _pct("share_pct", "Part", "Part de la somme des thématiques retenues, en %, arrondie comme imprimée."),
            UNIT_FIELD,
        ),
        rows,
        ("thematic_id",),
    )


_MEASURES = {"revenue": "Recettes", "ae": "AE exécutées", "cp": "CP exécutés"}


def history_table(history: pl.DataFrame) -> Table:
    """Revenue, AE and CP of each edition with the change since the one before (exact, in euros; the
    printed change is rounded to the coarser precision of its two ends: see `printed_figures`)."""
    fields: list[Field] = [Field("year", "integer", "Édition", "Année de l'édition.")]
    for key, title in _MEASURES.items():
        fields += [
            _euros(key, title, f"{title} de l'édition, en euros, tels que publiés."),
            _euros(f"{key}_delta", f"{title} : écart", "Écart avec l'édition précédente, en euros."),
            _pct(f"{key}_delta_pct", f"{title} : évolution", "Évolution depuis l'édition précédente, en %."),
        ]
    rows = tuple(
        (
            r["year"],
            *(v for key in _MEASURES for v in (r[key], r[f"{key}_delta"], rounded(r[f"{key}_delta_pct"], 1))),
        )
        for r in history.iter_rows(named=True)
    )
    return Table(
        "history",
        "Recettes et dépenses exécutées par édition",
        "Comparaison des éditions successives de la brochure de la région.",
        tuple(fields),
        rows,
        ("year",),
    )


def _positioned(
    frame: Iterable[Mapping[str, Any]], columns: Sequence[str], titles: Mapping[str, str]
) -> tuple[tuple[Cell, ...], ...]:
    """Rows with the title of their action and their position among the action's rows (printed in order)."""
    seen: dict[str, int] = {}
    rows = []
    for r in frame:
        seen[r["action_id"]] = seen.get(r["action_id"], 0) + 1
        rows.append((r["action_id"], titles.get(r["action_id"]), seen[r["action_id"]], *(r[c] for c in columns)))
    return tuple(rows)


_ACTION_FIELDS = (
    _text("action_id", "Identifiant de l'action", "Identifiant stable de la section ou de l'action."),
    _text("action_title", "Titre de l'action", "Titre de la section ou de l'action dans le volet « en actions »."),
    Field("position", "integer", "Rang", "Rang du chiffre parmi ceux de l'action, dans l'ordre d'impression."),
)


def action_amounts_table(amounts: pl.DataFrame, titles: Mapping[str, str]) -> Table:
    return Table(
        "action_amounts",
        "Montants des actions",
        "Montants mis en avant dans le volet « en actions », par section ou action.",
        (
            *_ACTION_FIELDS,
            _text("label", "Libellé", "Texte imprimé après le montant (ex. « en ambulatoire »)."),
            _text("qualifier", "Qualificatif", "Texte imprimé avant le montant (ex. « dont »)."),
            _euros("amount", "Montant"),
            UNIT_FIELD,
        ),
        _positioned(amounts.iter_rows(named=True), ("label", "qualifier", "amount", "unit"), titles),
        ("action_id", "position"),
    )


def key_figures_table(key_figures: pl.DataFrame, titles: Mapping[str, str]) -> Table:
    values = ({**r, "value": rounded(r["value"], r["value_dp"])} for r in key_figures.iter_rows(named=True))
    return Table(
        "key_figures",
        "Chiffres clés des actions",
        "Chiffres clés imprimés en exergue dans le volet « en actions ».",
        (
            *_ACTION_FIELDS,
            Field("value", "number", "Valeur", "Le nombre imprimé en grand."),
            _text("unit", "Unité", "Unité imprimée après le nombre (%, €…), vide pour un dénombrement."),
            _text("label", "Libellé", "Les mots imprimés en grand après le nombre."),
            _text("detail", "Détail", "La précision imprimée en petit sous le chiffre."),
        ),
        _positioned(values, ("value", "unit", "label", "detail"), titles),
        ("action_id", "position"),
    )


_SIGNS = {"+": 1, "−": -1, "-": -1}


def printed_value(text: str) -> tuple[Decimal | None, str]:
    """A printed figure as a number and its unit: `522,2 M€` → (522200000, EUR), `+1,84 %` → (1.84, %),
    `3 010` → (3010, ""). A bound (`< 0,01 %`, `moins de 0,01 %`) or a text is no number: (None, unit)."""
    words = re.sub(r"[\u00a0\u202f]", " ", text).strip()
    sign = 1
    if words[:1] in _SIGNS:
        sign, words = _SIGNS[words[0]], words[1:]
    unit = ""
    for suffix in ("M€", "k€", "€", "%"):
        if words.endswith(suffix):
            unit, words = suffix, words[: -len(suffix)].strip()
            break
    try:
        number = parse_number(words)[0] * sign
    except (ValueError, InvalidOperation):
        return None, EUR if unit.endswith("€") else unit
    if unit.endswith("€"):
        return number * UNIT_FACTORS[unit], EUR
    return number, unit


def printed_figures_table(catalogue: Mapping[str, str]) -> Table:
    """Every figure the brochure prints by its name, as printed and as a number (sorted by name)."""
    rows = tuple((name, text, *printed_value(text)) for name, text in sorted(catalogue.items()))
    return Table(
        "printed_figures",
        "Chiffres imprimés dans la brochure",
        "Chaque chiffre de la brochure sous le nom que lui donnent les textes (ex. revenue.total), "
        "le texte imprimé et sa valeur.",
        (
            _text("name", "Nom du chiffre", "Nom du chiffre, tel que les textes le citent ([[revenue.total]])."),
            _text("printed", "Texte imprimé", "Le chiffre tel que la brochure l'imprime."),
            Field("value", "number", "Valeur", "Valeur du chiffre : en euros pour un montant, en % pour une part."),
            _text("unit", "Unité", "EUR pour un montant, % pour une part ou une évolution, vide pour un nombre."),
        ),
        rows,
        ("name",),
    )


def package_tables(
    tables: Mapping[str, pl.DataFrame],
    figures: compute.Figures,
    catalogue: Mapping[str, str],
    year: int,
    subset_title: str | None = None,
    subset_exclude: Sequence[str] = (),
) -> list[Table]:
    """The package's tables in the brochure's reading order (the "en chiffres" part, then the actions);
    a table the edition does not have is left out."""
    found: list[Table | None] = [
        revenue_table(tables["revenue"], year),
        revenue_stages_table(figures.revenue_stages, year) if figures.revenue_stages.height > 1 else None,
        priorities_table(p) if (p := tables.get("revenue_priorities")) is not None else None,
        execution_table(figures.rates, year),
        natures_table(n) if (n := tables.get("cp_by_nature")) is not None else None,
        missions_table(figures.missions) if figures.missions is not None else None,
    ]
    if figures.thematics is not None:
        found.append(thematics_table(figures.thematics, compute.total_row(tables["thematics"]), year))
    if figures.thematic_subset is not None:
        found.append(subset_table(figures.thematic_subset, subset_title, subset_exclude))
    if figures.history is not None:
        found.append(history_table(figures.history))
    titles = _titles(tables["actions"].iter_rows(named=True)) if "actions" in tables else {}
    if (amounts := tables.get("action_amounts")) is not None:
        found.append(action_amounts_table(amounts, titles))
    if (key_figures := tables.get("key_figures")) is not None:
        found.append(key_figures_table(key_figures, titles))
    found.append(printed_figures_table(catalogue))
    return [t for t in found if t is not None]


def _titles(actions: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {a["action_id"]: a["title"] for a in actions}
