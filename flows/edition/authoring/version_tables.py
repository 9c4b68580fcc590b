"""One version's figure tables, read from its bytes with the edition's own readers, only when asked.

A table is read from `<table>.csv` or from a sheet of figures.xlsx (a CSV file first, as when both are
there), typed by the contract exactly as a build types it — an edition being filled in included: a cell
still to type is known as such, not refused — and shown the French way, cell by cell. Reading is lazy
and each file is read once: two versions whose table comes from the same bytes are not read at all.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from flows.edition.contract import TABLES, Column, RawTable, TableSpec, parse_table
from flows.edition.errors import InputError
from flows.edition.french import format_amount, format_number, format_pct
from flows.edition.ingest.csv_cells import parse_csv_cells
from flows.edition.ingest.files import InputFile
from flows.edition.ingest.names import MISSIONS_REFERENCE, WORKBOOK
from flows.edition.ingest.snapshot import MISSIONS_SPEC
from flows.edition.ingest.xlsx_cells import read_workbook
from flows.edition.validate.missing import table_todo, tolerant

from .version_files import VersionFiles

REFERENCE = MISSIONS_SPEC.name  # the national missions list, compared like a table
SPECS: dict[str, TableSpec] = {**TABLES, REFERENCE: MISSIONS_SPEC}
TO_TYPE = "à saisir"  # a cell an edition being filled in still lacks
_KINDS = {"line": "ligne", "total": "total"}
# Where a row's label is, for the tables that have one: what the staff read in the brochure.
_LABEL_COLUMNS = {
    "revenue": "label",
    "revenue_priorities": "label",
    "execution": "label",
    "cp_by_nature": "label",
    "thematics": "label",
    "parts": "title",
    "actions": "title",
}

Source = tuple[str, bytes]  # ("csv" | "xlsx", the bytes the table is read from)


@dataclass(frozen=True)
class Row:
    """One typed row: its identity, the label the staff know it by, and each cell shown the French way."""

    key: object
    label: str
    shown: Mapping[str, str]  # column → `303 543 407 €`, `99,1 %`, `à saisir`, "" when empty


class VersionTables:
    """The tables of one version, typed on first use; `side` says which version in messages (« dans la
    version de départ »)."""

    def __init__(self, version: VersionFiles, side: str):
        self.version = version
        self.side = side
        self.problems: dict[str, str] = {}  # table → why it cannot be read, in French
        self.workbook_problem: str | None = None  # why figures.xlsx cannot be opened at all
        self._frames: dict[str, pl.DataFrame | None] = {}
        self._to_type: dict[str, set[tuple[int, str]]] = {}
        self._sheets: dict[str, RawTable] | None = None
        self._mission_names: dict[int, str] | None = None
        self._action_titles: dict[str, str] | None = None

    def source(self, name: str) -> Source | None:
        """What a table is read from in this version; None when the version has no such table."""
        if name == REFERENCE:
            data = self.version.others.get(MISSIONS_REFERENCE)
            return None if data is None else ("csv", data)
        if (data := self.version.edition.get(f"{name}.csv")) is not None:
            return "csv", data
        if (data := self.version.edition.get(WORKBOOK)) is not None:
            return "xlsx", data
        return None

    def where(self, name: str) -> str | None:
        """The file (and sheet) a table is read from, named as messages name it."""
        source = self.source(name)
        if source is None:
            return None
        if name == REFERENCE:
            return MISSIONS_REFERENCE
        if source[0] == "csv":
            return self.version.path(f"{name}.csv")
        return f"{self.version.path(WORKBOOK)}, feuille « {name} »"

    def frame(self, name: str) -> pl.DataFrame | None:
        """The typed table; None when the version has none, or when it cannot be read (`problems` says why)."""
        if name not in self._frames:
            self._frames[name] = self._typed(name)
        return self._frames[name]

    def rows(self, name: str) -> list[Row]:
        frame = self.frame(name)
        if frame is None:
            return []
        spec = SPECS[name]
        to_type = self._to_type.get(name, set())
        return [
            Row(_identity(spec, row), self.row_label(name, row), _shown_row(spec, row, to_type))
            for row in frame.to_dicts()
        ]

    def row_label(self, name: str, row: Mapping[str, Any]) -> str:
        """The row as the staff know it: the printed label, the mission's name, the action's title (and
        the figure's own words for an action's amount or key figure); an identifier only where the version
        lacks what names it (a file compared without its version)."""
        if name in _LABEL_COLUMNS:
            return str(row[_LABEL_COLUMNS[name]] or row[SPECS[name].key or "label"])
        if name in ("missions", REFERENCE):
            number = row["mission"]
            short = self.mission_names().get(number) if name == "missions" else None
            return f"Mission {number} – {short}" if short else f"Mission {number}"
        title = self.action_titles().get(row["action_id"], row["action_id"])
        detail = row.get("label")
        return f"{title} — {detail}" if detail else str(title)

    def mission_names(self) -> dict[int, str]:
        if self._mission_names is None:
            frame = self.frame(REFERENCE)
            self._mission_names = {} if frame is None else dict(frame.select("mission", "short_label").iter_rows())
        return self._mission_names

    def action_titles(self) -> dict[str, str]:
        if self._action_titles is None:
            frame = self.frame("actions")
            self._action_titles = {} if frame is None else dict(frame.select("action_id", "title").iter_rows())
        return self._action_titles

    def labels(self, name: str, column: str) -> dict[str, str]:
        """Identifier → label of a table (`thematics`, `parts`), for naming the texts that go with its rows."""
        frame = self.frame(name)
        key = SPECS[name].key
        if frame is None or key is None:
            return {}
        return {str(k): str(v) for k, v in frame.select(key, column).iter_rows()}

    def _typed(self, name: str) -> pl.DataFrame | None:
        raw = self._raw(name)
        if raw is None:
            return None
        spec = SPECS[name]
        gaps = table_todo(raw, spec)
        if gaps is not None:  # an edition being filled in: its cells to type are read as such
            self._to_type[name] = {(line, cells.column) for cells in gaps.amounts for line in cells.lines}
            raw, spec = tolerant(raw, spec, gaps)
        try:
            return parse_table(raw, spec)
        except InputError as exc:
            self.problems[name] = _unreadable(exc, self.side)
            return None

    def _raw(self, name: str) -> RawTable | None:
        source = self.source(name)
        if source is None:
            return None
        where = self.version.path(f"{name}.csv") if name != REFERENCE else MISSIONS_REFERENCE
        if source[0] == "csv":
            try:
                return parse_csv_cells(_file(where, source[1]), name)
            except InputError as exc:
                self.problems[name] = _unreadable(exc, self.side)
                return None
        if self._sheets is None:
            try:
                self._sheets = _workbook_tables(self.version.path(WORKBOOK), source[1])
            except InputError as exc:
                self._sheets = {}
                self.workbook_problem = (
                    f"Classeur illisible {self.side} : {_first(exc)} ; ses tableaux ne sont pas comparés"
                )
        return self._sheets.get(name)

    def in_unread_workbook(self, name: str) -> bool:
        """Whether the table would come from a workbook that cannot be opened (said once, for the file)."""
        source = self.source(name)
        return (
            source is not None
            and source[0] == "xlsx"
            and self.frame(name) is None
            and self.workbook_problem is not None
        )


def table_files(version: VersionFiles) -> set[str]:
    """The files of the edition folder that hold figure tables (compared as tables, not as files)."""
    found = {path for path in version.edition if path.endswith(".csv") and path.removesuffix(".csv") in TABLES}
    if WORKBOOK in version.edition:
        found.add(WORKBOOK)
    return found


_WORKBOOKS: OrderedDict[tuple[str, str], dict[str, RawTable]] = OrderedDict()
_WORKBOOKS_KEPT = 8  # a few versions' workbooks: the history page compares each version with the one before
_WORKBOOKS_LOCK = threading.Lock()


def _workbook_tables(source: str, data: bytes) -> dict[str, RawTable]:
    """The table sheets of a workbook, read once per content: reading one with openpyxl takes a fifth of
    a second, and the same version is compared with its neighbours on one page after another."""
    file = _file(source, data)
    key = (source, file.sha256)
    with _WORKBOOKS_LOCK:
        if key in _WORKBOOKS:
            _WORKBOOKS.move_to_end(key)
            return _WORKBOOKS[key]
    tables = read_workbook(file).tables
    with _WORKBOOKS_LOCK:
        _WORKBOOKS[key] = tables
        while len(_WORKBOOKS) > _WORKBOOKS_KEPT:
            _WORKBOOKS.popitem(last=False)
    return tables


def _file(source: str, data: bytes) -> InputFile:
    return InputFile(source, data, hashlib.sha256(data).hexdigest())


def _first(exc: InputError) -> str:
    return str(exc.problems[0] if exc.problems else exc)


def _unreadable(exc: InputError, side: str) -> str:
    first = _first(exc)
    more = len(exc.problems) - 1
    also = f" (et {more} autre{'s' if more > 1 else ''} erreur{'s' if more > 1 else ''})" if more > 0 else ""
    return f"illisible {side} : {first}{also} ; ses cellules ne sont pas comparées"


def _identity(spec: TableSpec, row: Mapping[str, Any]) -> object:
    """What makes a row the same row in two versions: its key; an action's amounts and key figures
    have none, and are aligned within their action (`table_diff.align`)."""
    return row[spec.key] if spec.key else row["action_id"]


def _shown_row(spec: TableSpec, row: Mapping[str, Any], to_type: set[tuple[int, str]]) -> dict[str, str]:
    line = row["_line"]
    return {column.name: TO_TYPE if (line, column.name) in to_type else shown(column, row) for column in spec.columns}


def shown(column: Column, row: Mapping[str, Any]) -> str:
    """A typed cell as the brochure's readers read it: `303 543 407 €`, `517,1 M€`, `99,9 %`, `ligne`."""
    value = row[column.name]
    if value is None:
        return ""
    kind, name = column.kind, column.name
    if kind == "amount":
        return format_amount(value, row.get("unit") or "€", row.get(f"{name}_dp") or 0)
    if kind == "headline":
        return format_amount(value, row[f"{name}_unit"], row.get(f"{name}_dp") or 0)
    if kind == "pct":
        return format_pct(value, row.get(f"{name}_dp") or 0)
    if kind == "number":
        return format_number(value, row.get(f"{name}_dp") or 0)
    if kind == "kind":
        return _KINDS.get(value, str(value))
    return str(value)
