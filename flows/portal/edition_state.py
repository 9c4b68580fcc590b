"""What the editors' pages read of an edition's working copy (inputs/<region>/<year>/): its to-do list as a
checklist (what `fir check` says remains: cells to fill, texts « À RÉÉCRIRE », items carried over to
confirm), its texts, and the names of the figures a text may print (the catalogue `fir check` computes).

Read only: nothing here writes a file. The same readers as the command line (flows/edition/ingest,
validate/missing.py, carryover.py), so the page and `fir check` never disagree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.edition.compute import catalogue
from flows.edition.errors import InputError, Problem
from flows.edition.french import count_of
from flows.edition.ingest.snapshot import Edition, read_edition, read_snapshot
from flows.edition.labels import TABLE_NAMES, column_title, file_label
from flows.edition.prepare import snapshot_figures
from flows.edition.validate.missing import IncompleteEdition, TableTodo, Todo

# A text's name in an address: its path under texts/ (`fir.md`, `actions/p2-msp.md`), nothing else.
TEXT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}(/[a-z0-9][a-z0-9_-]{0,79})?\.md")


@dataclass(frozen=True)
class Checklist:
    """One edition's state for its workspace page."""

    problems: tuple[str, ...] = ()  # errors to fix first (a filled cell that is no number)
    tables: tuple[dict[str, Any], ...] = ()  # every table: its title, file, cells still to fill
    texts: tuple[dict[str, Any], ...] = ()  # every text: its name, whether it is still to rewrite
    carried: tuple[dict[str, Any], ...] = ()  # files holding items carried over, still to confirm
    earlier_year: int | None = None
    unreadable: str = ""  # the edition cannot be read at all: why
    title: str = ""  # the region as its readers name it (« Hauts-de-France »), once the edition is read

    @property
    def remaining(self) -> int:
        """How many items of the list are still to do."""
        cells = sum(t["count"] for t in self.tables)
        return (
            len(self.problems)
            + cells
            + sum(1 for t in self.texts if t["todo"])
            + sum(c["pending"] for c in self.carried)
        )


def text_names(inputs: Path, region: str, year: int) -> list[str]:
    """The edition's texts, by their path under texts/."""
    folder = inputs / region / str(year) / "texts"
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.md") if p.is_file())


# The texts every edition has, by what the staff call them (the others by their action, part or thematic).
TEXT_TITLES = {
    "fir.md": "Présentation du FIR",
    "chiffres.md": "Introduction de la partie « en chiffres »",
    "actions.md": "Introduction de la partie « en actions »",
}


def _unmarked(text: str) -> str:
    """« [À RÉÉCRIRE, texte de 2024] Titre » → « Titre »."""
    from flows.edition.authoring.markers import is_marked_cell

    return text.split("]", 1)[1].strip() if is_marked_cell(text) else text


def _rows(inputs: Path, region: str, year: int) -> dict[str, list[dict[str, str]]]:
    """The parts', actions' and thematics' rows as typed (amounts still to fill in allowed); none unreadable."""
    from flows.edition.ingest.snapshot import read_raw_tables

    try:
        raws, _, _ = read_raw_tables(inputs / region / str(year), inputs)
    except InputError:
        return {}
    found = {}
    for name in ("parts", "actions", "thematics"):
        raw = raws.get(name)
        found[name] = [dict(zip(raw.header, row, strict=False)) for row in raw.rows] if raw is not None else []
    return found


def parts(inputs: Path, region: str, year: int) -> list[dict[str, str]]:
    """The edition's parts (id, title), for a Word document covering a whole part; none when unreadable."""
    rows = _rows(inputs, region, year).get("parts", [])
    return [{"id": r.get("part_id", ""), "title": _unmarked(r.get("title", ""))} for r in rows if r.get("part_id")]


def text_titles(inputs: Path, region: str, year: int) -> dict[str, str]:
    """Each text's name under texts/ → what the staff call it: its action's title, its part's, its thematic's."""
    rows = _rows(inputs, region, year)
    titles = dict(TEXT_TITLES)
    for row in rows.get("actions", []):
        titles[f"actions/{row.get('action_id', '')}.md"] = _unmarked(row.get("title", ""))
    for row in rows.get("parts", []):
        titles[f"parts/{row.get('part_id', '')}.md"] = (
            f"Introduction de la partie « {_unmarked(row.get('title', ''))} »"
        )
    for row in rows.get("thematics", []):
        titles[f"thematics/{row.get('thematic_id', '')}.md"] = f"Thématique « {_unmarked(row.get('label', ''))} »"
    return titles


def text_file(inputs: Path, region: str, year: int, name: str) -> Path | None:
    """The file of text `name` when it is one of the edition's texts (never a path outside texts/)."""
    if not TEXT_NAME.fullmatch(name) or name not in text_names(inputs, region, year):
        return None
    return inputs / region / str(year) / "texts" / name


def checklist(inputs: Path, outputs: Path, region: str, year: int) -> Checklist:
    """The edition's to-do list, as `fir check` computes it, and the items it carries over to confirm."""
    try:
        edition = read_edition(inputs, region, year, allow_incomplete=True)
    except IncompleteEdition as exc:  # errors beside cells to fill: the errors first, as fir check says
        return Checklist(
            tuple(str(p) for p in exc.problems), _tables(exc.todo, {}), _texts(inputs, region, year, exc.todo)
        )
    except InputError as exc:
        return Checklist(tuple(str(p) for p in exc.problems) or (str(exc),))
    tables = _tables(edition.todo, edition.sources)
    texts = _texts(inputs, region, year, edition.todo)
    carried, earlier = _carried(inputs, outputs, edition)
    errors = () if edition.todo else validation_errors(inputs, outputs, region, year)
    return Checklist(errors, tables, texts, carried, earlier, title=edition.meta.region_name)


def validation_errors(inputs: Path, outputs: Path, region: str, year: int) -> tuple[str, ...]:
    """Once nothing remains to fill in, what `fir check` then reports that stops a build: the build's own steps
    up to its report (a total its lines do not explain, an unknown `[[figure]]`, a broken reference)."""
    from flows.edition.publish import store
    from flows.pipeline import graph

    try:
        snapshot = read_snapshot(inputs, region, year)
        published = store.existing_history(outputs, region, year)
        values = graph.run(
            {"snapshot": snapshot, "environ": dict(os.environ), "published": published}, graph.call, until="report"
        )
    except InputError as exc:
        return tuple(str(p) for p in exc.problems) or (str(exc),)
    return tuple(str(finding) for finding in values["prepared"].report.errors)


def _title(table: str, column: str) -> str:
    """A column as the staff read it in the workbook: its French title (the code's name only when unknown)."""
    return column_title(table, column) or column


def _tables(todo: Todo, sources: Mapping[str, str]) -> tuple[dict[str, Any], ...]:
    """Every table the edition has (those complete too), each with its cells still to fill by column."""
    rows = []
    pending = {t.table: t for t in todo.tables}
    for name in dict.fromkeys([*pending, *sources]):
        found: TableTodo | None = pending.get(name)
        columns = []
        for cells in found.amounts if found else ():
            columns.append({"label": _title(name, cells.column), "count": len(cells.lines), "rewrite": False})
        for cells in found.texts if found else ():
            columns.append({"label": _title(name, cells.column), "count": len(cells.lines), "rewrite": True})
        rows.append(
            {
                "table": name,
                "title": TABLE_NAMES.get(name, name),
                "source": found.source if found else sources.get(name, ""),
                "count": found.count if found else 0,
                "columns": columns,
            }
        )
    return tuple(rows)


def _texts(inputs: Path, region: str, year: int, todo: Todo) -> tuple[dict[str, Any], ...]:
    marked = {t.source: t.line for t in todo.texts}
    titles = text_titles(inputs, region, year)
    rows = []
    for name in text_names(inputs, region, year):
        source = f"{region}/{year}/texts/{name}"
        title = titles.get(name, "")
        rows.append(
            {"name": name, "title": title, "source": source, "todo": source in marked, "line": marked.get(source)}
        )
    rows.sort(key=lambda r: (not r["todo"], r["name"]))
    return tuple(rows)


def _carried(inputs: Path, outputs: Path, edition: Edition) -> tuple[tuple[dict[str, Any], ...], int | None]:
    """The files holding items carried over from the earlier edition that nobody confirmed yet."""
    from flows import carryover
    from flows.edition.validate import carried_report

    if edition.todo:  # compared once the edition is complete, as fir check does
        return (), None
    found = carryover.review(inputs, outputs, edition)
    if found is None:
        return (), None
    files = [
        {
            "source": source,
            "name": file_label(source.removeprefix(f"{edition.meta.region}/{edition.meta.year}/")),
            "pending": len(items),
            "items": [carried_report.describe(i, found.carried.earlier_year) for i in items],
        }
        for source, items in carried_report.by_file(found.todo).items()
    ]
    return tuple(files), found.carried.earlier_year


@dataclass(frozen=True)
class FigureNames:
    """The figures a text may name, each with the text the brochure prints for it."""

    names: Mapping[str, str] = field(default_factory=dict)
    year: int | None = None  # the edition whose values are shown (an incomplete edition: the earlier one's)
    note: str = ""


def figure_names(inputs: Path, region: str, year: int) -> FigureNames:
    """The catalogue of named figures (compute/catalogue.py), as the build makes it. An edition still to fill
    in has the same names as the one it starts from (same lines, same actions): its names, with last year's
    values, said as such."""
    try:
        return FigureNames(_names(inputs, region, year), year)
    except InputError as exc:
        why = "édition incomplète" if isinstance(exc, IncompleteEdition) else "données à corriger"
    from flows.edition.authoring.new_edition import NewEditionRefused, source_year

    try:
        earlier = source_year(inputs, region, year, None)
        names = _names(inputs, region, earlier)
    except (NewEditionRefused, InputError):
        return FigureNames({}, None, f"{why} : la liste des chiffres sera proposée une fois les tableaux remplis")
    note = f"{why} : noms des chiffres de l'édition {earlier}, valeurs de {earlier} (les mêmes lignes cette année)"
    return FigureNames(names, earlier, note)


def _names(inputs: Path, region: str, year: int) -> dict[str, str]:
    snapshot = read_snapshot(inputs, region, year)
    return catalogue.catalogue(snapshot.edition.tables, snapshot_figures(snapshot))


def check_text(markdown: str, names: Mapping[str, str], source: str) -> list[dict[str, Any]]:
    """Each `[[…]]` of `markdown` that names no figure, located (line, column) with the names close to it;
    none when `names` is empty (nothing to check against yet)."""
    if not names:
        return []
    _, problems = catalogue.resolve(markdown, names, source)
    return [_located(problem) for problem in problems]


def _located(problem: Problem) -> dict[str, Any]:
    return {
        "line": problem.line,
        "column": problem.character,
        "value": problem.value,
        "expected": problem.expected,
        "message": f"ligne {problem.line}, colonne {problem.character} : « {problem.value} » n'est pas "
        f"{problem.expected}",
    }


def references(markdown: str, names: Mapping[str, str]) -> list[dict[str, str]]:
    """Each `[[…]]` of the text with the figure it prints (what the reader will see)."""
    found = dict.fromkeys(m.group(1) for m in catalogue.REFERENCE.finditer(markdown))
    return [{"name": name, "shown": names.get(name, "")} for name in found]


def summary(found: Checklist) -> str:
    """The list in a sentence: what remains, or that nothing does."""
    if found.unreadable:
        return found.unreadable
    parts = []
    if found.problems:
        parts.append(count_of(len(found.problems), "erreur"))
    cells = sum(t["count"] for t in found.tables)
    if cells:
        parts.append(f"{count_of(cells, 'cellule')} à remplir")
    texts = sum(1 for t in found.texts if t["todo"])
    if texts:
        parts.append(f"{count_of(texts, 'texte')} à réécrire")
    carried = sum(c["pending"] for c in found.carried)
    if carried:
        parts.append(f"{count_of(carried, 'élément repris', 'éléments repris')} à confirmer")
    return "Reste : " + ", ".join(parts) + "." if parts else "Tout est rempli : le projet peut être lancé."


def fingerprint(inputs: Path, region: str) -> tuple[tuple[str, int, int], ...]:
    """What the region's inputs (every year: the comparison across years) and the reference are now, by
    each file's path, modification time and size: a change made anywhere, by the portal or on disk."""
    found = []
    for folder in (inputs / region, inputs / "_reference"):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            try:
                info = path.stat()
            except OSError:
                continue
            if path.is_file():
                found.append((path.relative_to(inputs).as_posix(), info.st_mtime_ns, info.st_size))
    return tuple(found)
