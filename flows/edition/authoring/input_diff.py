"""The differences between two versions of an edition's inputs, as the staff read them: the cells of the
figure tables (table, row label, French column title, old → new, French numbers), the texts line by line
with their changed words, the settings of edition.toml, and the other files (logo, images).

Pure: two versions are two mappings of files (path under inputs/ → bytes), as the store of input
versions gives them; nothing is read from disk or written. The tables are read with the edition's own
readers and compared as values, so that an edition moving its tables from CSV files into figures.xlsx
changes no cell. The portal renders the dataclasses; `InputDiff.summary()` is the same in French lines,
for an e-mail or the audit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from flows.edition.french import count_of, format_size
from flows.edition.ingest.names import (
    ASIDE_FOLDER,
    LEDGER_NAMES,
    META_FILE,
    MISSIONS_REFERENCE,
    NOMENCLATURE,
    TEXTS_DIR,
    WORKBOOK,
)

from .meta_diff import MetaChange as MetaChange
from .meta_diff import compare_settings, read_settings
from .table_diff import CellChange as CellChange
from .table_diff import RowChange as RowChange
from .table_diff import TableDiff as TableDiff
from .table_diff import compare_tables, moved_lines
from .text_diff import LineDiff as LineDiff
from .text_diff import Segment as Segment
from .text_diff import TextChanges, compare_texts
from .version_files import VersionFiles, split_version
from .version_tables import REFERENCE, VersionTables, table_files

BEFORE, AFTER = "dans la version de départ", "dans la version comparée"
Change = Literal["added", "removed", "changed"]
_IMAGES = (".png", ".jpg", ".jpeg", ".svg", ".gif", ".webp")
_TEXT_NAMES = {
    "fir": "Présentation du FIR",
    "actions": "Introduction de la partie des actions",
    "chiffres": "Introduction de la partie des chiffres",
}


@dataclass(frozen=True)
class TextDiff:
    """One Markdown text added, removed or changed, with its lines aligned and its changed words marked."""

    path: str  # under inputs/ (the compared version's path, else the starting one's)
    key: str  # `actions/p2-clsm`, as the edition names its texts
    name: str  # what the staff call it: the action's title, « Présentation du FIR »
    status: Change
    changes: TextChanges

    @property
    def lines(self) -> tuple[LineDiff, ...]:
        return self.changes.lines

    @property
    def summary(self) -> str:
        """`3 paragraphes modifiés`, `texte ajouté (4 paragraphes)`, `texte supprimé (2 paragraphes)`."""
        if self.status == "added":
            return f"texte ajouté ({count_of(self.changes.count('added'), 'paragraphe')})"
        if self.status == "removed":
            return f"texte supprimé ({count_of(self.changes.count('removed'), 'paragraphe')})"
        return self.changes.summary()

    def line(self) -> str:
        return f"Texte « {self.name} » ({self.key}.md) : {self.summary}"


@dataclass(frozen=True)
class FileChange:
    """A file other than a table, a text or the settings: added, removed, replaced; or a table's file
    rewritten with no value changed (`reformatted`: saved again by Excel, another separator…)."""

    path: str  # under inputs/
    name: str  # `logo`, `image « carte.png »`, `classeur figures.xlsx`
    change: Literal["added", "removed", "replaced", "reformatted"]
    old_size: int | None
    new_size: int | None

    @property
    def aside(self) -> bool:
        """A file put in the folder the tool never reads (the CSV files replaced by the workbook)."""
        return f"/{ASIDE_FOLDER}/" in f"/{self.path}"

    def line(self) -> str:
        name = self.name[:1].upper() + self.name[1:]
        if self.change == "added":
            return f"{name} ajouté ({_size(self.new_size)})"
        if self.change == "removed":
            return f"{name} supprimé ({_size(self.old_size)})"
        if self.change == "replaced":
            return f"{name} remplacé ({_size(self.old_size)} → {_size(self.new_size)})"
        return f"{name} enregistré à nouveau, sans valeur changée"


@dataclass(frozen=True)
class InputDiff:
    """Everything that differs between two versions of an edition's inputs; false when nothing does."""

    tables: tuple[TableDiff, ...] = ()
    texts: tuple[TextDiff, ...] = ()
    settings: tuple[MetaChange, ...] = ()
    files: tuple[FileChange, ...] = ()
    problems: tuple[str, ...] = ()  # what could not be compared (edition.toml unreadable), in French
    # tables read from CSV files in one version and from figures.xlsx in the other, no value changed
    moved: tuple[TableDiff, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tables or self.texts or self.settings or self.files or self.problems or self.moved)

    @property
    def cells(self) -> tuple[CellChange, ...]:
        return tuple(cell for table in self.tables for cell in table.cells)

    @property
    def rows_added(self) -> tuple[RowChange, ...]:
        return tuple(row for table in self.tables for row in table.added)

    @property
    def rows_removed(self) -> tuple[RowChange, ...]:
        return tuple(row for table in self.tables for row in table.removed)

    def headline(self) -> str:
        """The whole difference in one line: `2 cellules modifiées, 1 ligne ajoutée, 1 texte modifié`."""
        counts = [
            (len(self.cells), "cellule modifiée", "cellules modifiées"),
            (len(self.rows_added), "ligne ajoutée", "lignes ajoutées"),
            (len(self.rows_removed), "ligne supprimée", "lignes supprimées"),
            *(
                (sum(1 for text in self.texts if text.status == status), f"texte {word}", f"textes {word}s")
                for status, word in (("changed", "modifié"), ("added", "ajouté"), ("removed", "supprimé"))
            ),
            (len(self.settings), "réglage modifié", "réglages modifiés"),
            (len(self.files), "fichier modifié", "fichiers modifiés"),
        ]
        said = [count_of(n, singular, plural) for n, singular, plural in counts if n]
        if self.moved:
            said.append(count_of(len(self.moved), "tableau déplacé", "tableaux déplacés"))
        if self.problems or any(t.problems for t in self.tables):
            said.append("certains fichiers illisibles")
        return ", ".join(said) if said else "aucune différence"

    def moved_lines(self) -> list[str]:
        """The tables moved between CSV files and the workbook, no value changed, in a line (or two)."""
        return moved_lines(self.moved)

    def summary(self, limit: int | None = None) -> list[str]:
        """French lines for an e-mail or the audit, one per change: « Recettes, Délégations nationales
        (arrêtés), Montant final de l'année : 517,1 M€ → 520 M€ ». With `limit`, at most that many lines,
        the last one saying how many more there are (a new year's edition changes hundreds of cells)."""
        lines = [line for table in self.tables for line in table.lines()]
        lines += self.moved_lines()
        lines += [change.line() for change in self.settings]
        lines += [text.line() for text in self.texts]
        aside = [file for file in self.files if file.aside and file.change == "added"]
        lines += [file.line() for file in self.files if file not in aside]
        if aside:
            names = ", ".join(file.path.rpartition("/")[2] for file in aside)
            lines.append(f"Mis de côté dans le dossier {ASIDE_FOLDER}, que l'outil ne lit pas : {names}")
        lines += list(self.problems)
        if limit is not None and len(lines) > limit:
            more = len(lines) - (limit - 1)
            lines = [*lines[: limit - 1], f"… et {count_of(more, 'autre changement', 'autres changements')}"]
        return lines


def diff_inputs(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> InputDiff:
    """The differences from version `old` to version `new`, each a mapping of path under inputs/ to bytes
    (`hauts-de-france/2025/figures.xlsx`, `_reference/missions.csv`)."""
    before, after = split_version(old), split_version(new)
    old_tables, new_tables = VersionTables(before, BEFORE), VersionTables(after, AFTER)
    compared = compare_tables(old_tables, new_tables)
    tables = tuple(table for table in compared if table.changed)
    old_settings, old_problem = read_settings(before.edition.get(META_FILE), before.path(META_FILE), BEFORE)
    new_settings, new_problem = read_settings(after.edition.get(META_FILE), after.path(META_FILE), AFTER)
    settings = compare_settings(old_settings, new_settings) if not (old_problem or new_problem) else ()
    found = (old_tables.workbook_problem, new_tables.workbook_problem, old_problem, new_problem)
    problems = tuple(problem for problem in found if problem)
    texts = _texts(before, after, old_tables, new_tables)
    logos = {_logo_path(s) for s in (old_settings, new_settings)} - {None}
    files = _files(before, after, tables, not settings and not (old_problem or new_problem), logos)
    moved = tuple(table for table in compared if not table.changed)
    return InputDiff(tables, texts, settings, files, problems, moved)


def diff_file(path: str, old: bytes | None, new: bytes | None, version: Mapping[str, bytes] | None = None) -> InputDiff:
    """The differences of one file between two contents (a save refused because another browser saved
    first: what they saved against what is there now); its rows and its text named with the rest of
    `version` (the action's title of an amount, the mission's name), which is not compared."""
    rest = {other: data for other, data in (version or {}).items() if other != path}
    return diff_inputs(
        rest if old is None else {**rest, path: old},
        rest if new is None else {**rest, path: new},
    )


def _texts(before: VersionFiles, after: VersionFiles, old: VersionTables, new: VersionTables) -> tuple[TextDiff, ...]:
    """Every Markdown text under texts/ added, removed or changed, in the order of their paths."""
    prefix = f"{TEXTS_DIR}/"
    paths = sorted(
        {p for v in (before, after) for p in v.edition if p.startswith(prefix) and p.endswith(".md")},
    )
    found = []
    for inside in paths:
        was, now = before.edition.get(inside), after.edition.get(inside)
        if was == now:
            continue
        status: Change = "added" if was is None else "removed" if now is None else "changed"
        changes = compare_texts(_decoded(was), _decoded(now))
        key = inside.removeprefix(prefix).removesuffix(".md")
        path = after.path(inside) if now is not None else before.path(inside)
        found.append(TextDiff(path, key, _text_name(key, new if now is not None else old), status, changes))
    return tuple(found)


def _decoded(data: bytes | None) -> str:
    """A text's content to compare; a byte that is no UTF-8 (refused by `fir check`) shown as �."""
    return "" if data is None else data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")


def _text_name(key: str, tables: VersionTables) -> str:
    """What the staff call a text: the title of its action, part or thematic, or its place in the brochure."""
    if key in _TEXT_NAMES:
        return _TEXT_NAMES[key]
    kind, _, ident = key.partition("/")
    if kind == "actions":
        return tables.action_titles().get(ident, key)
    if kind == "parts":
        title = tables.labels("parts", "title").get(ident)
        return f"Introduction de la partie « {title} »" if title else key
    if kind == "thematics":
        label = tables.labels("thematics", "label").get(ident)
        return f"Thématique « {label} »" if label else key
    return key


def _logo_path(settings: Mapping[str, str]) -> str | None:
    logo = settings.get("brand.logo")
    return logo.strip().removeprefix("./") if logo else None


def _files(
    before: VersionFiles,
    after: VersionFiles,
    tables: tuple[TableDiff, ...],
    same_settings: bool,
    logos: set[str | None],
) -> tuple[FileChange, ...]:
    """The files that are neither texts nor settings, by path; the tables' files only when rewritten
    with no value changed (their values are in `tables`)."""
    tabled = table_files(before) | table_files(after)
    changed = {t.table for t in tables if t.changed}
    if any(WORKBOOK in f"{t.old_source}{t.new_source}" for t in tables if t.changed):
        changed.add(WORKBOOK)
    found = []
    for inside in sorted(set(before.edition) | set(after.edition)):
        was, now = before.edition.get(inside), after.edition.get(inside)
        if was == now or (inside.startswith(f"{TEXTS_DIR}/") and inside.endswith(".md")):
            continue
        path = after.path(inside) if now is not None else before.path(inside)
        if inside in tabled or inside == META_FILE:
            if was is not None and now is not None and _unchanged_values(inside, changed, same_settings):
                found.append(FileChange(path, _file_name(inside, logos), "reformatted", len(was), len(now)))
            continue
        found.append(_file_change(path, _file_name(inside, logos), was, now))
    for path in sorted(set(before.others) | set(after.others)):
        was, now = before.others.get(path), after.others.get(path)
        if was == now:
            continue
        if path != MISSIONS_REFERENCE:
            found.append(_file_change(path, _file_name(path, logos), was, now))
        elif was is not None and now is not None and REFERENCE not in changed:
            found.append(FileChange(path, _file_name(path, logos), "reformatted", len(was), len(now)))
    return tuple(found)


def _unchanged_values(inside: str, changed: set[str], same_settings: bool) -> bool:
    """Whether a table's file (or edition.toml) rewritten holds the same values as before."""
    if inside == META_FILE:
        return same_settings
    if inside == WORKBOOK:
        return WORKBOOK not in changed  # a changed table of the workbook is said in `tables`
    return inside.removesuffix(".csv") not in changed


def _file_change(path: str, name: str, was: bytes | None, now: bytes | None) -> FileChange:
    change: Literal["added", "removed", "replaced"] = (
        "added" if was is None else "removed" if now is None else "replaced"
    )
    return FileChange(path, name, change, None if was is None else len(was), None if now is None else len(now))


def _file_name(inside: str, logos: set[str | None]) -> str:
    """A file as the staff know it: the logo, an image, the workbook, a table's CSV file."""
    base = inside.rpartition("/")[2]
    if inside in logos:
        return "logo"
    if inside == MISSIONS_REFERENCE:
        return "liste nationale des missions"
    if inside == WORKBOOK:
        return f"classeur {WORKBOOK}"
    if inside == META_FILE:
        return f"fichier des réglages {META_FILE}"
    if base in LEDGER_NAMES:
        return f"grand livre « {base} »"
    if base == NOMENCLATURE:
        return f"nomenclature du grand livre « {base} »"
    if inside.endswith(".csv") and "/" not in inside:
        return f"tableau « {base} »"
    if base.lower().endswith(_IMAGES):
        return f"image « {inside} »"
    return f"fichier « {inside} »"


def _size(size: int | None) -> str:
    if size is None:
        return ""
    return f"{size}\u00a0octets" if size < 1024 else format_size(size)
