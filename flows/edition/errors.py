"""Errors about the user's inputs, located precisely enough to be fixed without a debugger."""

from __future__ import annotations

from dataclasses import dataclass


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
        """Where the problem is, as a reader finds it: `file, ligne 3, colonne « amount »` (or the cell) in a
        table, `file, ligne 3, caractère 6` in a text."""
        where = [self.file]
        if self.cell:
            where.append(f"cellule {self.cell}")
        elif self.line is not None:
            where.append(f"ligne {self.line}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        if self.character is not None:
            where.append(f"caractère {self.character}")
        return ", ".join(where)

    def __str__(self) -> str:
        text = self.location()
        if self.value is not None:
            text += f" : valeur « {_shorten(self.value)} »"
        return f"{text} — attendu : {self.expected}"


def _shorten(value: str, limit: int = 60) -> str:
    value = value.replace("\n", "⏎")
    return value if len(value) <= limit else value[: limit - 1] + "…"


class InputError(Exception):
    """The inputs cannot be used as they are; the message says where and why."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
