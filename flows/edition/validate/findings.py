"""A reconciliation result, shared by the checks of the aggregated tables and of the line-level ledger."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class RoundingNote:
    """What the brochure's reader is told under a table whose published total is kept though its lines add
    up to another amount: the facts only, worded by templates/libelles.toml (`tableaux.note_ecart_arrondi`)."""

    lines_sum: int  # euros
    published: int  # euros, the total as published
    unit: str  # the unit it was published in
    decimals: int  # and its decimals


@dataclass(frozen=True)
class Finding:
    """One result of a reconciliation: a warning keeps the printed value, an error stops the build;
    information (a workbook sheet left aside) is only listed."""

    level: Level
    table: str
    message: str
    where: str | None = None  # file, line, column
    note: RoundingNote | None = None  # what the brochure's reader is told, under the table concerned

    def __str__(self) -> str:
        text = self.message
        if self.where:
            text = f"{self.where} — {text}"
        return text


def where(source: str, line: int | None = None, column: str | None = None) -> str:
    """`missions.csv, ligne 4, colonne « ae »`: where a finding points, as every report names it."""
    parts = [source]
    if line is not None:
        parts.append(f"ligne {line}")
    if column:
        parts.append(f"colonne « {column} »")
    return ", ".join(parts)
