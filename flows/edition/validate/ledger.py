"""The line-level ledger against the aggregated tables it duplicates (contract: inputs/LEDGER.md).

Every difference, and every line the totals leave out or cannot place, is a warning Finding of the
table "ledger" in the edition's report: the brochure prints the aggregated tables as published, and
the report says where the ledger disagrees. A table the ledger supplied matches it by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import polars as pl

from flows.edition.compute.figures import compare, precision_eur
from flows.edition.french import format_amount, format_eur, format_number, format_signed_eur, round_half_up
from flows.edition.ingest.ledger import LedgerTotals
from flows.edition.ingest.snapshot import Edition
from flows.edition.validate.findings import Finding, where

TABLE = "ledger"


def findings(edition: Edition) -> list[Finding]:
    """The edition's ledger against its tables, then what the aggregation counted (empty without a ledger)."""
    if edition.ledger is None:
        return []
    totals = edition.ledger
    tables = (edition.table("missions"), edition.table("thematics"), edition.table("execution"))
    return reconcile(totals, *tables, sources=edition.sources) + describe(totals)


def reconcile(
    totals: LedgerTotals,
    missions: pl.DataFrame | None,
    thematics: pl.DataFrame | None,
    execution: pl.DataFrame | None,
    sources: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every difference between the ledger's figures and the aggregated tables given, in French.

    Figures are compared to the euro; a table figure printed coarser (`536,9 M€`: a `unit` and an
    `<column>_dp` column say so) is compared with the ledger's figure rounded the same way. `sources`
    (table → file) locates a table row in `where`. An empty list: everything matches.
    """
    found: list[Finding] = []
    names = sources or {}

    def check(what: str, value: int, row: dict[str, Any], column: str, table: str) -> None:
        found.extend(_compare(what, value, row, column, table, names.get(table, f"{table}.csv")))

    def say(message: str) -> None:
        found.append(Finding("warning", TABLE, message))

    if execution is not None:
        rows = {r["budget"]: r for r in execution.iter_rows(named=True)}
        for budget, value in (("AE", totals.ae), ("CP", totals.cp)):
            if budget not in rows:
                say(f"{budget} : grand livre {_eur(value)}, absent de la table execution")
            else:
                check(budget, value, rows[budget], "executed", "execution")
    if missions is not None:
        ledger = {r["mission"]: r for r in totals.missions.iter_rows(named=True)}
        table = {r["mission"]: r for r in missions.iter_rows(named=True)}
        for mission in sorted(set(ledger) | set(table)):
            for column in ("ae", "cp"):
                what = f"Mission {mission}, {column.upper()}"
                if mission not in table:
                    if ledger[mission][column]:
                        say(f"{what} : grand livre {_eur(ledger[mission][column])}, absente de la table missions")
                elif mission not in ledger:
                    say(f"{what} : absente du grand livre, table missions {_eur(table[mission][column])}")
                else:
                    check(what, ledger[mission][column], table[mission], column, "missions")
    if thematics is not None:
        amounts: dict[str, int] = dict(totals.thematics.iter_rows())
        kind = thematics["kind"] if "kind" in thematics.columns else pl.Series([None] * thematics.height)
        rows_kinds = list(zip(thematics.iter_rows(named=True), kind, strict=True))
        lines = {r["thematic_id"]: r for r, k in rows_kinds if k != "total"}
        for thematic in [*amounts, *(t for t in lines if t not in amounts)]:
            what = f"Thématique « {thematic} »"
            if thematic not in lines:
                if amounts[thematic]:
                    say(f"{what} : grand livre {_eur(amounts[thematic])}, absente de la table thematics")
            elif thematic not in amounts:
                say(f"{what} : absente du grand livre, table thematics {_eur(lines[thematic]['amount'])}")
            else:
                check(what, amounts[thematic], lines[thematic], "amount", "thematics")
        for row, k in rows_kinds:
            if k == "total":
                check("Thématiques, total (CP)", totals.cp, row, "amount", "thematics")
    return found


def _compare(what: str, value: int, row: dict[str, Any], column: str, table: str, source: str) -> list[Finding]:
    """The ledger's `value` against one table cell, at the precision the table prints it with."""
    line = row.get("_line") or None  # 0: a table built from the ledger, no file line
    at = where(source, line, column) if line is not None else None
    published = row[column]
    if published is None:
        return [
            Finding("warning", TABLE, f"{what} : grand livre {_eur(value)}, cellule vide dans la table {table}", at)
        ]
    unit = row.get("unit") or "€"
    decimals = row.get(f"{column}_dp") or 0
    if compare(published, unit, decimals, value, []).matches_at_precision:
        return []
    text = f"{what} : grand livre {_eur(value)} ≠ table {table} {_eur(published)}"
    text += f" (écart {format_signed_eur(value - published)})"
    step = precision_eur(unit, decimals)
    if step > 1:
        shown = int(round_half_up(Decimal(value) / step, 0) * step)
        text += (
            f" ; la table est arrondie à {format_amount(int(step), unit, decimals)} : le grand livre arrondi "
            f"de même donne {format_amount(shown, unit, decimals)}, la table {format_amount(published, unit, decimals)}"
        )
    return [Finding("warning", TABLE, text, at)]


def describe(totals: LedgerTotals) -> list[Finding]:
    """What the aggregation left out or could not place, as French sentences (empty when nothing to say)."""
    d = totals.diagnostics
    notes: list[str] = []
    if d.out_of_year:
        years = ", ".join(str(y) for y in d.other_years) or "?"
        notes.append(
            f"{_count(d.out_of_year, 'ligne datée', 'lignes datées')} hors de {totals.year} ({years}), "
            f"écartée{'s' if d.out_of_year > 1 else ''} des totaux (AE {_eur(d.out_of_year_ae)}, "
            f"CP {_eur(d.out_of_year_cp)})."
        )
    if d.unknown_destination:
        codes = ", ".join(code or "(vide)" for code in d.unknown_codes)
        if d.unknown_codes_count > len(d.unknown_codes):
            codes += f"… ({format_number(d.unknown_codes_count)} codes)"
        notes.append(
            f"{_count(d.unknown_destination, 'ligne', 'lignes')} de {totals.year} sans destination connue de la "
            f"nomenclature ({codes}) : comptée{'s' if d.unknown_destination > 1 else ''} dans les totaux AE et CP "
            f"mais dans aucune mission ni thématique (AE {_eur(d.unknown_ae)}, CP {_eur(d.unknown_cp)})."
        )
    if d.negative:
        notes.append(
            f"{_count(d.negative, 'ligne négative', 'lignes négatives')} (annulations) en {totals.year}, "
            "comptée" + ("s" if d.negative > 1 else "") + " dans les totaux, qu'elles diminuent."
        )
    return [Finding("warning", TABLE, note, totals.source) for note in notes]


def _eur(euros: int) -> str:
    """`1 234 €`, and `−1 234 €` (minus sign) below zero."""
    return format_eur(euros) if euros >= 0 else format_signed_eur(euros)


def _count(n: int, one: str, many: str) -> str:
    return f"{format_number(n)} {one if n == 1 else many}"
