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
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl

from flows.edition.compute import figures as compute
from flows.edition.french import UNIT_FACTORS, parse_number, round_half_up
from flows.edition.wording import stage_label, words

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


def _field(table: str, name: str, type: str = "string", unit: str | None = None) -> Field:
    """A column, titled and described by the wording file (`donnees_ouvertes.<table>.<name>`)."""
    title = words(f"donnees_ouvertes.{table}.{name}.titre")
    return Field(name, type, title, words(f"donnees_ouvertes.{table}.{name}.description"), unit)


def _text(table: str, name: str) -> Field:
    return _field(table, name)


def _euros(table: str, name: str) -> Field:
    """An amount in euros; described as such when the wording file leaves its description empty."""
    field = _field(table, name, "integer", EUR)
    if field.description:
        return field
    return replace(field, description=words("donnees_ouvertes.communs.montant_description"))


def _pct(table: str, name: str) -> Field:
    return _field(table, name, "number", PCT)


def _unit_field() -> Field:
    return _text("communs", "unit")


def _title(table: str, **values: object) -> str:
    return words(f"donnees_ouvertes.{table}.titre", **values)


def _description(table: str, **values: object) -> str:
    return words(f"donnees_ouvertes.{table}.description", **values)


def rounded(value: float | Decimal | None, decimals: int | None) -> Decimal | None:
    """A computed figure at the precision the brochure prints it (half-up), None where there is none."""
    return None if value is None else round_half_up(value, decimals or 0)


def _rows(frame: pl.DataFrame, columns: Sequence[str]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(tuple(row) for row in frame.select(columns).iter_rows())


def revenue_table(revenue: pl.DataFrame, year: int) -> Table:
    """The revenue lines and their declared total at each budget stage the edition gives."""
    stages = [c for c in compute.STAGES if c in revenue.columns and revenue[c].is_not_null().any()]
    at_stage = words("donnees_ouvertes.communs.etape_description")
    fields = (
        *(_text("revenue", name) for name in ("line_id", "kind", "label", "reference")),
        *(Field(c, "integer", stage_label(c, year), at_stage, EUR) for c in stages),
        _unit_field(),
    )
    return Table(
        "revenue",
        _title("revenue", annee=year),
        _description("revenue"),
        fields,
        _rows(revenue, [f.name for f in fields]),
        ("line_id",),
    )


def revenue_stages_table(stages: pl.DataFrame, year: int) -> Table:
    """The declared total at each stage and its change from the stage before, as printed."""
    rows = tuple(
        (r["stage"], stage_label(r["stage"], r["year"]), r["amount"], r["delta"], rounded(r["delta_pct"], 2))
        for r in stages.iter_rows(named=True)
    )
    return Table(
        "revenue_stages",
        _title("revenue_stages"),
        _description("revenue_stages", annee=year),
        (
            _text("revenue_stages", "stage"),
            _text("revenue_stages", "label"),
            _euros("revenue_stages", "amount"),
            _euros("revenue_stages", "delta"),
            _pct("revenue_stages", "delta_pct"),
        ),
        rows,
        ("stage",),
    )


def priorities_table(priorities: pl.DataFrame) -> Table:
    fields = (
        *(_text("revenue_priorities", name) for name in ("item_id", "label", "qualifier")),
        _euros("revenue_priorities", "amount"),
        _unit_field(),
    )
    return Table(
        "revenue_priorities",
        _title("revenue_priorities"),
        _description("revenue_priorities"),
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
        _title("execution", annee=year),
        _description("execution"),
        (
            _text("execution", "budget"),
            _text("execution", "label"),
            _euros("execution", "executed"),
            _euros("execution", "opened"),
            _pct("execution", "rate_pct"),
            _text("execution", "rate_source"),
            _unit_field(),
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
        _title("missions"),
        _description("missions"),
        (
            _field("missions", "mission", "integer"),
            _text("missions", "label"),
            _euros("missions", "ae"),
            _pct("missions", "ae_share"),
            _euros("missions", "cp"),
            _pct("missions", "cp_share"),
            _unit_field(),
        ),
        tuple(rows),
        ("mission",),
    )


def natures_table(natures: pl.DataFrame) -> Table:
    fields = (
        _text("cp_by_nature", "nature_id"),
        _text("cp_by_nature", "label"),
        _euros("cp_by_nature", "amount"),
        _unit_field(),
    )
    return Table(
        "cp_by_nature",
        _title("cp_by_nature"),
        _description("cp_by_nature"),
        fields,
        _rows(natures, [f.name for f in fields]),
        ("nature_id",),
    )


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
        _title("thematics", annee=year),
        _description("thematics"),
        (
            *(_text("thematics", name) for name in ("thematic_id", "kind", "label")),
            _euros("thematics", "amount"),
            _pct("thematics", "share_pct"),
            _euros("thematics", "headline"),
            _unit_field(),
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
        title or _title("thematic_subset"),
        _description("thematic_subset", exclues=", ".join(exclude)),
        (
            _text("thematic_subset", "thematic_id"),
            _text("thematic_subset", "label"),
            _euros("thematic_subset", "amount"),
            _pct("thematic_subset", "share_pct"),
            _unit_field(),
        ),
        rows,
        ("thematic_id",),
    )


_MEASURES = {"revenue": "graphiques.mesure_recettes", "ae": "graphiques.mesure_ae", "cp": "graphiques.mesure_cp"}


def _history_words(what: str, measure: str | None = None) -> str:
    """A word of the comparison's columns, about `measure` (« Recettes », « AE exécutées ») when it names one."""
    key = f"donnees_ouvertes.history.{what}"
    return words(key) if measure is None else words(key, mesure=measure)


def history_table(history: pl.DataFrame) -> Table:
    """Revenue, AE and CP of each edition with the change since the one before (exact, in euros; the
    printed change is rounded to the coarser precision of its two ends: see `printed_figures`)."""
    fields: list[Field] = [_field("history", "year", "integer")]
    for key, measure in _MEASURES.items():
        title = words(measure)
        change, trend = _history_words("ecart_description"), _history_words("evolution_description")
        fields += [
            Field(key, "integer", title, _history_words("mesure_description", title), EUR),
            Field(f"{key}_delta", "integer", _history_words("ecart_titre", title), change, EUR),
            Field(f"{key}_delta_pct", "number", _history_words("evolution_titre", title), trend, PCT),
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
        _title("history"),
        _description("history"),
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


def _action_fields() -> tuple[Field, ...]:
    """The columns that place a figure among its action's: the action, its title, the figure's rank."""
    return (_text("communs", "action_id"), _text("communs", "action_title"), _field("communs", "position", "integer"))


def action_amounts_table(amounts: pl.DataFrame, titles: Mapping[str, str]) -> Table:
    return Table(
        "action_amounts",
        _title("action_amounts"),
        _description("action_amounts"),
        (
            *_action_fields(),
            _text("action_amounts", "label"),
            _text("action_amounts", "qualifier"),
            _euros("action_amounts", "amount"),
            _unit_field(),
        ),
        _positioned(amounts.iter_rows(named=True), ("label", "qualifier", "amount", "unit"), titles),
        ("action_id", "position"),
    )


def key_figures_table(key_figures: pl.DataFrame, titles: Mapping[str, str]) -> Table:
    values = ({**r, "value": rounded(r["value"], r["value_dp"])} for r in key_figures.iter_rows(named=True))
    return Table(
        "key_figures",
        _title("key_figures"),
        _description("key_figures"),
        (
            *_action_fields(),
            _field("key_figures", "value", "number"),
            *(_text("key_figures", name) for name in ("unit", "label", "detail")),
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
        _title("printed_figures"),
        _description("printed_figures"),
        (
            _text("printed_figures", "name"),
            _text("printed_figures", "printed"),
            _field("printed_figures", "value", "number"),
            _text("printed_figures", "unit"),
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
