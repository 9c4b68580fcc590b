"""Errors about the user's inputs, located precisely enough to be fixed without a debugger."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.edition.labels import column_title


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file, with where it is and what was expected."""

    file: str
    expected: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    cell: str | None = None  # spreadsheet reference (e.g. "E4") when the file is a workbook
    character: int | None = None  # in a text file, which has lines but no columns: the place on the line

    def location(self) -> str:
        """Where the problem is, as a reader finds it: `file, ligne 3, colonne « Montant (amount) »` (or the
        cell) in a table, by the column's French title and its header's name; `file, ligne 3, caractère 6` in
        a text."""
        where = [self.file]
        if self.cell:
            where.append(f"cellule {self.cell}")
        elif self.line is not None:
            where.append(f"ligne {self.line}")
        if self.column:
            title = _column_title(self.file, self.column)
            where.append(f"colonne « {title} ({self.column}) »" if title else f"colonne « {self.column} »")
        if self.character is not None:
            where.append(f"caractère {self.character}")
        return ", ".join(where)

    def __str__(self) -> str:
        text = self.location()
        if self.value is not None:
            text += f" : valeur « {_shorten(self.value)} »"
        return f"{text} — attendu : {self.expected}"


_SHEET = re.compile(r"feuille « ([a-z_]+) »")


def _column_title(file: str, column: str) -> str | None:
    """The French title of a column of the contract's tables, the table told by the file (`thematics.csv`,
    or a workbook's `feuille « thematics »`); None for any other file (edition.toml, a ledger)."""
    sheet = _SHEET.search(file)
    name = file.rsplit("/", 1)[-1]
    table = sheet.group(1) if sheet else name.removesuffix(".csv") if name.endswith(".csv") else None
    if table and file.removesuffix(name).endswith("_reference/"):
        table += "_reference"  # the national reference tables, beside the editions
    return column_title(table, column) if table else None


def _shorten(value: str, limit: int = 60) -> str:
    value = value.replace("\n", "⏎")
    return value if len(value) <= limit else value[: limit - 1] + "…"


class InputError(Exception):
    """The inputs cannot be used as they are; the message says where and why."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
