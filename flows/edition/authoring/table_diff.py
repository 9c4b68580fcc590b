"""The figure tables of two versions compared cell by cell: what changed, in the staff's words.

Tables are compared as typed values, not as files: the same table read from `revenue.csv` in one version
and from the sheet `revenue` of figures.xlsx in the next is the same table when its values are the same,
whatever each file spells them (`517,1` or `517.1`). A row is the same row when its identifier is (an
action's amounts and key figures, which have none, are aligned within their action); a changed cell is
named by the table's French name, the row's label and the column's French title.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from flows.edition.french import count_of
from flows.edition.labels import TABLE_NAMES, column_title

from .version_tables import REFERENCE, SPECS, Row, VersionTables

TITLES = {**TABLE_NAMES, REFERENCE: "Liste nationale des missions"}
_FIGURES = ("amount", "pct", "number", "headline", "int")
EMPTY = "(vide)"  # an empty cell, in a sentence


def said(value: str) -> str:
    """A cell's value in a sentence: an empty cell is said to be empty."""
    return value if value else EMPTY


@dataclass(frozen=True)
class CellChange:
    """One cell whose value changed: `Recettes, Délégations nationales (arrêtés), Montant final de
    l'année : 517,1 M€ → 520 M€`. `old` and `new` are shown the French way, "" for an empty cell."""

    table: str  # the contract's name (`revenue`)
    table_title: str  # `Recettes`
    row: str  # the row's label as the staff know it
    column: str  # the contract's name (`final`)
    column_title: str  # `Montant final de l'année`
    old: str
    new: str

    def line(self) -> str:
        return f"{self.table_title}, {self.row}, {self.column_title} : {said(self.old)} → {said(self.new)}"


@dataclass(frozen=True)
class RowChange:
    """A row added or removed, with its cells (French column title, value) that are not empty."""

    table: str
    table_title: str
    row: str
    added: bool  # True: added; False: removed
    cells: tuple[tuple[str, str], ...]
    figures: tuple[tuple[str, str], ...]  # the cells holding numbers, said in the summary line

    def line(self) -> str:
        what = "ligne ajoutée" if self.added else "ligne supprimée"
        figures = " ; ".join(f"{title} : {value}" for title, value in self.figures)
        return f"{self.table_title}, {what} : {self.row}" + (f" ({figures})" if figures else "")


@dataclass(frozen=True)
class TableDiff:
    """One table's changes between two versions; `old_source`/`new_source`: where it was read from
    (None when that version has no such table)."""

    table: str
    title: str
    old_source: str | None
    new_source: str | None
    cells: tuple[CellChange, ...] = ()
    added: tuple[RowChange, ...] = ()
    removed: tuple[RowChange, ...] = ()
    problems: tuple[str, ...] = ()  # a version whose table cannot be read, in French

    @property
    def status(self) -> Literal["added", "removed", "changed"]:
        if self.old_source is None and self.new_source is not None:
            return "added"
        if self.new_source is None and self.old_source is not None:
            return "removed"
        return "changed"

    @property
    def changed(self) -> bool:
        """Whether any value changed (or cannot be compared); a table only moved to another file has not."""
        return bool(self.cells or self.added or self.removed or self.problems)

    @property
    def moved(self) -> bool:
        """Read from a CSV file in one version and from the workbook in the other."""
        if self.old_source is None or self.new_source is None:
            return False
        return _file_kind(self.old_source) != _file_kind(self.new_source)

    def lines(self) -> list[str]:
        """French lines for an e-mail or the audit, one per change."""
        if self.problems:
            return [f"{self.title} : {problem}" for problem in self.problems]
        if self.status == "added":
            return [f"{self.title} : tableau ajouté ({count_of(len(self.added), 'ligne')}, {self.new_source})"]
        if self.status == "removed":
            return [f"{self.title} : tableau supprimé ({count_of(len(self.removed), 'ligne')}, {self.old_source})"]
        return [cell.line() for cell in self.cells] + [row.line() for row in (*self.added, *self.removed)]


def compare_tables(old: VersionTables, new: VersionTables) -> tuple[TableDiff, ...]:
    """Every table whose values changed, or that moved between CSV and workbook, in the contract's order.
    A table read from the very same bytes in both versions is not read at all."""
    found = []
    for name in SPECS:
        if old.source(name) == new.source(name) or old.in_unread_workbook(name) or new.in_unread_workbook(name):
            continue
        diff = compare_table(name, old, new)
        if diff.changed or diff.moved:
            found.append(diff)
    return tuple(found)


def compare_table(name: str, old: VersionTables, new: VersionTables) -> TableDiff:
    """One table's cells, rows added and rows removed; its problems instead when a version cannot be read."""
    title = TITLES[name]
    before, after = old.rows(name), new.rows(name)
    sources = (
        old.where(name) if old.frame(name) is not None else None,
        new.where(name) if new.frame(name) is not None else None,
    )
    problems = tuple(problem for problem in (old.problems.get(name), new.problems.get(name)) if problem)
    if problems:
        return TableDiff(name, title, old.where(name), new.where(name), problems=problems)
    spec = SPECS[name]
    compared = [c for c in spec.columns if c.name != (spec.key or "action_id")]
    titles = {c.name: column_title(name, c.name) or c.name for c in spec.columns}
    cells: list[CellChange] = []
    added: list[RowChange] = []
    removed: list[RowChange] = []
    for was, now in align(name, before, after):
        if was is None and now is not None:
            added.append(_row_change(name, now, True, titles))
        elif now is None and was is not None:
            removed.append(_row_change(name, was, False, titles))
        elif was is not None and now is not None:
            cells += [
                CellChange(name, title, now.label, c.name, titles[c.name], was.shown[c.name], now.shown[c.name])
                for c in compared
                if was.shown[c.name] != now.shown[c.name]
            ]
    return TableDiff(name, title, *sources, tuple(cells), tuple(added), tuple(removed))


def _row_change(name: str, row: Row, added: bool, titles: dict[str, str]) -> RowChange:
    kinds = {c.name: c.kind for c in SPECS[name].columns}
    cells = tuple((titles[column], value) for column, value in row.shown.items() if value)
    figures = tuple(
        (titles[column], value) for column, value in row.shown.items() if value and kinds[column] in _FIGURES
    )
    return RowChange(name, TITLES[name], row.label, added, cells, figures)


Pair = tuple[Row | None, Row | None]


def align(name: str, old: Sequence[Row], new: Sequence[Row]) -> list[Pair]:
    """The rows of two versions paired: by identifier; an action's amounts and key figures (no
    identifier) by their order within their action, difflib keeping unchanged rows together."""
    if SPECS[name].key is not None:
        was = {row.key: row for row in old}
        kept = {row.key for row in new}
        return [(was.get(row.key), row) for row in new] + [(row, None) for row in old if row.key not in kept]
    groups = list(dict.fromkeys(row.key for row in (*new, *old)))
    pairs: list[Pair] = []
    for group in groups:
        pairs += _align_in_order([r for r in old if r.key == group], [r for r in new if r.key == group])
    return pairs


def _align_in_order(old: Sequence[Row], new: Sequence[Row]) -> list[Pair]:
    """Rows without an identifier: equal runs paired, a replaced run paired row by row, the rest added
    or removed."""
    content = [tuple(row.shown.values()) for row in old], [tuple(row.shown.values()) for row in new]
    pairs: list[Pair] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, *content, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        was, now = old[i1:i2], new[j1:j2]
        pairs += [
            (was[k] if k < len(was) else None, now[k] if k < len(now) else None) for k in range(max(len(was), len(now)))
        ]
    return pairs


def _file_kind(source: str) -> str:
    return "csv" if source.endswith(".csv") else "xlsx"


def moved_lines(diffs: Iterable[TableDiff]) -> list[str]:
    """One line for the tables moved between CSV files and the workbook without a value changed."""
    lines = []
    for kind in ("xlsx", "csv"):
        moved = [d for d in diffs if d.moved and not d.changed and d.new_source and _file_kind(d.new_source) == kind]
        if not moved:
            continue
        names = ", ".join(d.title for d in moved)
        if kind == "xlsx":
            workbook = (moved[0].new_source or "").split(",")[0]
            lines.append(
                f"Tableaux lus désormais dans le classeur {workbook} au lieu de fichiers CSV, "
                f"valeurs inchangées : {names}"
            )
        else:
            lines.append(
                f"Tableaux lus désormais dans des fichiers CSV au lieu du classeur, valeurs inchangées : {names}"
            )
    return lines
