"""What an edition still lacks — amounts to type, texts to rewrite — as a to-do list, not as errors.

An edition made by `fir new` (or any edition being filled in) has amount cells left empty or holding
`?`, and texts carrying the "to be rewritten" mark (authoring/markers.py). The reader finds them in the
text cells before typing the tables, so that they are listed table by table and text by text, counted,
and never reported as bad cells; the same edition cannot be built while anything remains. Genuine
mistakes in the cells that are filled (`12O`) stay the usual located errors, listed before the to-do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flows.edition.authoring.markers import is_marked_cell, is_to_type, marked_line
from flows.edition.contract import TABLES, RawTable, TableSpec
from flows.edition.errors import InputError, Problem
from flows.edition.french import count_of
from flows.edition.ingest.texts import Text
from flows.edition.labels import TABLE_NAMES, column_label

_NUMBERS = ("amount", "number", "pct", "headline")


@dataclass(frozen=True)
class Cells:
    """The cells of one column still to fill, by file line (or sheet row)."""

    column: str
    lines: tuple[int, ...]


@dataclass(frozen=True)
class TableTodo:
    """One table's amounts to type and text cells to rewrite."""

    table: str
    source: str
    amounts: tuple[Cells, ...] = ()
    texts: tuple[Cells, ...] = ()
    placeholders: frozenset[tuple[int, str]] = frozenset()  # (line, column) holding `?`: kept by a workbook

    @property
    def count(self) -> int:
        return sum(len(c.lines) for c in (*self.amounts, *self.texts))


@dataclass(frozen=True)
class TextTodo:
    """A Markdown text still carrying the "to be rewritten" mark, at `line` of its file."""

    source: str
    line: int


@dataclass(frozen=True)
class Todo:
    """Everything an edition still lacks; empty (false) once it can be validated as usual."""

    tables: tuple[TableTodo, ...] = ()
    texts: tuple[TextTodo, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tables or self.texts)

    @property
    def cells(self) -> int:
        """How many table cells are still to fill."""
        return sum(t.count for t in self.tables)

    def table(self, name: str) -> TableTodo | None:
        return next((t for t in self.tables if t.table == name), None)


def table_todo(raw: RawTable, spec: TableSpec) -> TableTodo | None:
    """The cells of one raw table still to fill: an amount cell holding `?`, or empty where the contract
    needs a number; a text cell starting with the "to be rewritten" mark. None when there is nothing."""
    header = [h.strip() for h in raw.header]
    amounts: list[Cells] = []
    texts: list[Cells] = []
    placeholders: set[tuple[int, str]] = set()
    for column in spec.columns:
        if column.name not in header:
            continue
        index = header.index(column.name)
        cells = [
            (line, row[index].strip() if index < len(row) else "")
            for row, line in zip(raw.rows, raw.lines, strict=True)
        ]
        if column.kind in _NUMBERS:
            marked = [line for line, text in cells if is_to_type(text)]
            empty = [] if column.nullable else [line for line, text in cells if text == ""]
            placeholders.update((line, column.name) for line in marked)
            if found := sorted(marked + empty):
                amounts.append(Cells(column.name, tuple(found)))
        elif column.kind == "text" and (found := [line for line, text in cells if is_marked_cell(text)]):
            texts.append(Cells(column.name, tuple(found)))
    if not amounts and not texts:
        return None
    return TableTodo(raw.name, raw.source, tuple(amounts), tuple(texts), frozenset(placeholders))


def tolerant(raw: RawTable, spec: TableSpec, todo: TableTodo) -> tuple[RawTable, TableSpec]:
    """The raw table and spec to type an incomplete table with: cells to fill read as empty, their
    columns allowed empty, and the row rules on amounts (a non-zero total, a rate) left until filled."""
    header = [h.strip() for h in raw.header]
    blank = {(line, header.index(column)) for line, column in todo.placeholders}
    rows = [
        ["" if (line, i) in blank else cell for i, cell in enumerate(row)]
        for row, line in zip(raw.rows, raw.lines, strict=True)
    ]
    open_columns = {c.column for c in todo.amounts}
    columns = tuple(dataclasses.replace(c, nullable=True) if c.name in open_columns else c for c in spec.columns)
    relaxed = dataclasses.replace(spec, columns=columns, needs_rate=False, base_of_shares=None)
    return dataclasses.replace(raw, rows=rows), relaxed if open_columns else spec


def texts_todo(texts: Mapping[str, Text]) -> tuple[TextTodo, ...]:
    """The Markdown texts still carrying the "to be rewritten" mark, in file order."""
    found = []
    for text in texts.values():
        line = marked_line(text.body)
        if line is not None:
            found.append(TextTodo(text.source, text.body_line + line))
    return tuple(sorted(found, key=lambda t: t.source))


def _lines(lines: Sequence[int]) -> str:
    """`lignes 2 à 4, 7, 8`: file lines, runs of three or more folded."""
    runs: list[list[int]] = []
    for line in sorted(lines):
        if runs and line == runs[-1][1] + 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    parts = [f"{a}" if a == b else f"{a}, {b}" if b == a + 1 else f"{a} à {b}" for a, b in runs]
    return ("ligne " if len(lines) == 1 else "lignes ") + ", ".join(parts)


def _typed(table: str, column: str) -> str:
    """What a cell to fill holds, in a word: an amount in euros, or another value (a rate, a count)."""
    kinds = {c.name: c.kind for c in TABLES[table].columns} if table in TABLES else {}
    return "montant" if kinds.get(column) == "amount" else "valeur"


def todo_lines(title: str, todo: Todo, problems: Iterable[Problem] = ()) -> list[str]:
    """The to-do list as `fir check` and `fir build` print it: errors first (if any), then each table's
    cells to fill, then each text to rewrite, then the count."""
    lines = [f"{title} incomplète : ce qui reste à compléter avant de construire la brochure."]
    problems = list(problems)
    if problems:
        lines += ["", f"Erreurs à corriger d'abord ({len(problems)}) :"]
        lines += [f"  - {problem}" for problem in problems]
    if todo.tables:
        lines += [
            "",
            "Tableaux — cellules à compléter (« ? » : un montant à saisir, ou à effacer s'il est sans objet "
            "cette année) :",
        ]
    for table in todo.tables:
        name = TABLE_NAMES.get(table.table, table.table)
        lines.append(f"  {name} ({table.source}) : {count_of(table.count, 'cellule')} à compléter")
        for cells in table.amounts:
            column = column_label(table.table, cells.column)
            what = count_of(len(cells.lines), _typed(table.table, cells.column))
            lines.append(f"    {column} : {what} à saisir ({_lines(cells.lines)})")
        for cells in table.texts:
            column = column_label(table.table, cells.column)
            lines.append(f"    {column} : {count_of(len(cells.lines), 'texte')} à réécrire ({_lines(cells.lines)})")
    if todo.texts:
        lines += ["", "Textes à réécrire (supprimer la ligne « <!-- À RÉÉCRIRE … --> » une fois le texte à jour) :"]
        lines += [f"  {text.source} (ligne {text.line})" for text in todo.texts]
    lines += [
        "",
        f"À compléter : {count_of(len(todo.tables), 'tableau', 'tableaux')} ({count_of(todo.cells, 'cellule')}), "
        f"{count_of(len(todo.texts), 'texte')}. Rien n'a été publié.",
    ]
    return lines


class IncompleteEdition(InputError):
    """The edition still lacks amounts or texts (and may hold genuine errors too): nothing is built."""

    def __init__(self, title: str, todo: Todo, problems: Sequence[Problem] = ()):
        # The exception's arguments are its whole state, so that it survives Prefect's pickling.
        Exception.__init__(self, title, todo, tuple(problems))
        self.title, self.todo, self.problems = title, todo, list(problems)

    def __str__(self) -> str:
        return "\n".join(todo_lines(self.title, self.todo, self.problems))
