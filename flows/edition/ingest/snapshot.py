"""An edition read once into an immutable snapshot: metadata, typed tables, texts, logo, and every
input file's bytes and SHA-256.

This is the only module that walks an edition folder; `files.read_input` is the only function that
opens a file under inputs/. Nothing after the snapshot reads inputs/ again: validation, figures,
layout, the archival copy's attachments and the manifest's checksums all come from these bytes.
Every failure is an InputError naming the file, the line or cell, the column, the value and what was
expected — whatever the file system holds instead of the expected file or folder included. What is read
with a fallback (a Windows-1252 CSV) or left aside (a hidden workbook sheet) is kept as notices, which
the validation report lists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from flows.edition.contract import TABLES, Column, RawTable, TableSpec, parse_table
from flows.edition.errors import InputError, Problem
from flows.edition.ingest import ledger, ledger_read
from flows.edition.ingest.csv_cells import as_csv, encoding_notice, parse_csv_cells
from flows.edition.ingest.files import InputFile, Notice, present, read_input, relative
from flows.edition.ingest.meta import EditionMeta, parse_meta
from flows.edition.ingest.names import ASIDE_FOLDER as ASIDE_FOLDER
from flows.edition.ingest.names import LEDGER_NAMES as LEDGER_NAMES
from flows.edition.ingest.names import META_FILE, TEXTS_DIR
from flows.edition.ingest.names import MISSIONS_REFERENCE as MISSIONS_REFERENCE
from flows.edition.ingest.names import NOMENCLATURE as NOMENCLATURE
from flows.edition.ingest.names import REFERENCE_DIR as REFERENCE_DIR
from flows.edition.ingest.texts import MAX_TEXT_BYTES, Text, parse_text
from flows.edition.ingest.xlsx_cells import WORKBOOK, read_workbook
from flows.edition.validate.missing import IncompleteEdition, TableTodo, Todo, table_todo, texts_todo, tolerant

MAX_TABLE_BYTES = 50 * 1024 * 1024  # a yearly aggregate table is a few kB; refuse before reading
# The national missions list, typed like a table: a located message for each bad cell.
MISSIONS_SPEC = TableSpec(
    "missions_reference", (Column("mission", "int"), Column("short_label", "text")), key="mission"
)


@dataclass(frozen=True)
class Edition:
    """One edition as read. Treat every mapping and frame as read-only: nothing changes a snapshot."""

    meta: EditionMeta
    tables: Mapping[str, pl.DataFrame]
    sources: Mapping[str, str]  # table name → where it was read from, for messages
    texts: Mapping[str, Text]
    missions_ref: pl.DataFrame
    files: tuple[InputFile, ...]  # every input file read, sorted by source
    attachments: tuple[tuple[str, bytes], ...] = ()  # the figure tables as CSV files, for the archival copy
    ledger: ledger.LedgerTotals | None = None  # the line-level ledger's totals, when the edition has one
    notices: tuple[Notice, ...] = ()  # files read in a fallback encoding, workbook sheets left aside
    # What is still to fill in (amounts to type, texts to rewrite): empty, except for an edition read
    # with `allow_incomplete` (`fir workbook`), whose tables then hold None where an amount is to type.
    todo: Todo = field(default_factory=Todo)

    def table(self, name: str) -> pl.DataFrame | None:
        return self.tables.get(name)

    @property
    def checksums(self) -> dict[str, str]:
        """SHA-256 of every input file, by path relative to inputs/ (what the manifest records)."""
        return {file.source: file.sha256 for file in self.files}


@dataclass(frozen=True)
class Snapshot:
    """An edition and the region's earlier editions (for the comparison across years), read once."""

    edition: Edition
    earlier: Mapping[int, Mapping[str, pl.DataFrame]] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()  # earlier editions left out of the comparison, and why
    # the files each earlier edition was read from (its input version is recorded from these very bytes)
    earlier_files: Mapping[int, tuple[InputFile, ...]] = field(default_factory=dict)


@contextmanager
def _file_system_errors_located(inputs: Path) -> Iterator[None]:
    """Any error of the file system while walking inputs/ (a folder that cannot be listed, a file gone
    mid-walk) becomes an InputError naming the path: the user fixes it in inputs/, it is no bug."""
    try:
        yield
    except OSError as exc:
        where = relative(Path(exc.filename), inputs) if isinstance(exc.filename, str) else "inputs/"
        reason = exc.strerror or type(exc).__name__
        raise InputError(Problem(where, f"un chemin lisible (erreur du système : {reason})")) from None


def list_editions(inputs: Path) -> list[tuple[str, int]]:
    """Every (region, year) folder under `inputs`, sorted."""
    found = []
    for region_dir in sorted(p for p in inputs.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        for year_dir in sorted(region_dir.iterdir()):
            if year_dir.is_dir() and year_dir.name.isdigit() and (year_dir / META_FILE).exists():
                found.append((region_dir.name, int(year_dir.name)))
    return found


def read_snapshot(inputs: Path, region: str, year: int, allow_incomplete: bool = False) -> Snapshot:
    """The edition and its region's earlier editions, each input file read exactly once.

    An edition published after `year` is left out of the comparison (a brochure never shows the
    future); one that cannot be read is left out too, and said why, without stopping this build.
    `allow_incomplete`: as `read_edition`'s (the check of an uploaded file reconciles the tables of an
    edition whose texts are still to rewrite).
    """
    with _file_system_errors_located(inputs):
        return _read_snapshot(inputs, region, year, allow_incomplete)


def _read_snapshot(inputs: Path, region: str, year: int, allow_incomplete: bool = False) -> Snapshot:
    reference = read_missions_reference(inputs)
    edition = read_edition(inputs, region, year, reference, allow_incomplete)
    earlier: dict[int, Mapping[str, pl.DataFrame]] = {}
    earlier_files: dict[int, tuple[InputFile, ...]] = {}
    skipped: list[str] = []
    for other_region, other_year in list_editions(inputs):
        if other_region != region or other_year >= year:
            continue
        try:
            other = read_edition(inputs, region, other_year, reference)
        except InputError as exc:
            reason = exc.problems[0] if exc.problems else "édition incomplète (voir fir check)"
            skipped.append(f"édition {other_year} écartée de la comparaison : {reason}")
            continue
        earlier[other_year], earlier_files[other_year] = other.tables, other.files
    return Snapshot(edition, earlier, tuple(skipped), earlier_files)


def read_edition(
    inputs: Path,
    region: str,
    year: int,
    reference: tuple[pl.DataFrame, InputFile] | None = None,
    allow_incomplete: bool = False,
) -> Edition:
    """Read and type everything one edition's brochure needs (`reference`: the missions list, if read).

    An edition that still lacks amounts or texts raises IncompleteEdition, its to-do list, unless
    `allow_incomplete` (to write its workbook): it is then returned with its `todo`.
    """
    with _file_system_errors_located(inputs):
        return _read_edition(inputs, region, year, reference, allow_incomplete)


def _read_edition(
    inputs: Path,
    region: str,
    year: int,
    reference: tuple[pl.DataFrame, InputFile] | None,
    allow_incomplete: bool = False,
) -> Edition:
    folder = inputs / region / str(year)
    if not folder.is_dir():
        available = ", ".join(f"{r}/{y}" for r, y in list_editions(inputs)) if inputs.is_dir() else ""
        raise InputError(
            Problem(relative(folder, inputs), f"un dossier d'édition existant (disponibles : {available or 'aucune'})")
        )
    meta_path = folder / META_FILE
    if not present(meta_path):
        raise InputError(
            Problem(relative(meta_path, inputs), "un fichier edition.toml décrivant l'édition (voir inputs/README.md)")
        )
    meta_file = read_input(meta_path, inputs)
    meta = parse_meta(meta_file, folder, inputs, region, year)
    raws, table_files, sheet_notices = _read_raw_tables(folder, inputs)
    problems: list[Problem] = []
    tables: dict[str, pl.DataFrame] = {}
    to_fill: list[TableTodo] = []
    for name, raw in raws.items():
        spec = TABLES[name]
        gaps = table_todo(raw, spec)
        if gaps is not None:  # cells still to fill are listed, not refused as bad cells
            to_fill.append(gaps)
            raw, spec = tolerant(raw, spec, gaps)
        try:
            tables[name] = parse_table(raw, spec)
        except InputError as exc:
            problems.extend(exc.problems)
    to_fill.sort(key=lambda gaps: list(TABLES).index(gaps.table))
    title = f"Édition {region} {year}"
    if problems:
        if to_fill:
            raise IncompleteEdition(title, Todo(tuple(to_fill)), problems)
        raise InputError(problems)
    texts, text_files = _read_texts(folder / TEXTS_DIR, inputs)
    todo = Todo(tuple(to_fill), texts_todo(texts))
    if todo and not allow_incomplete:
        raise IncompleteEdition(title, todo)
    missions_ref, reference_file = reference or read_missions_reference(inputs)
    sources = {name: raw.source for name, raw in raws.items()}
    totals, ledger_files = _read_ledger(folder, inputs, year, tables, sources)
    files = [meta_file, *table_files, *text_files, reference_file, *ledger_files]
    if meta.logo is not None:
        files.append(meta.logo.file)
    # The ledger is UTF-8 by its contract (Polars refuses anything else), and too large to decode twice.
    csv_files = [file for file in files if file.source.rpartition("/")[2] not in LEDGER_NAMES]
    encodings = [notice for file in csv_files if (notice := encoding_notice(file)) is not None]
    return Edition(
        meta,
        tables,
        sources,
        texts,
        missions_ref,
        tuple(sorted(files, key=lambda f: f.source)),
        _attachments(tables, raws, table_files),
        totals,
        (*sorted(encodings, key=lambda n: n.source), *sheet_notices),
        todo,
    )


def read_raw_tables(folder: Path, inputs: Path) -> tuple[dict[str, RawTable], list[InputFile], tuple[Notice, ...]]:
    """An edition folder's tables as text cells, before typing (`fir new` carries them over as typed)."""
    with _file_system_errors_located(inputs):
        return _read_raw_tables(folder, inputs)


def _read_raw_tables(folder: Path, inputs: Path) -> tuple[dict[str, RawTable], list[InputFile], tuple[Notice, ...]]:
    """Collect every table as text cells, from `<table>.csv` files or sheets of figures.xlsx, and the
    notices of the workbook's sheets left aside."""
    problems: list[Problem] = []
    raws: dict[str, RawTable] = {}
    files: list[InputFile] = []
    unreadable: set[str] = set()
    notices: tuple[Notice, ...] = ()
    hidden: tuple[str, ...] = ()
    for path in sorted(folder.glob("*.csv")):
        if path.name == NOMENCLATURE or path.name in LEDGER_NAMES:
            continue  # read with the ledger
        if path.stem not in TABLES:
            problems.append(
                Problem(relative(path, inputs), f"un nom de table parmi : {', '.join(TABLES)}", value=path.name)
            )
            continue
        try:
            file = read_input(path, inputs, MAX_TABLE_BYTES)
            raws[path.stem] = parse_csv_cells(file, path.stem)
            files.append(file)
        except InputError as exc:
            problems.extend(exc.problems)
            unreadable.add(path.stem)
    workbook = folder / WORKBOOK
    if present(workbook):
        try:
            file = read_input(workbook, inputs, MAX_TABLE_BYTES)
            book = read_workbook(file)
            sheets, notices, hidden = book.tables, book.notices, book.hidden
            files.append(file)
        except InputError as exc:
            problems.extend(exc.problems)
            unreadable.update(TABLES)
            sheets = {}
        doubled = [f"{name}.csv" for name in TABLES if name in sheets and name in raws]
        if doubled:
            problems.append(Problem(relative(workbook, inputs), doubled_sources_expected(folder, inputs, doubled)))
        raws.update(sheets)
    for name, spec in TABLES.items():
        if spec.required and name not in raws and name not in unreadable:
            masked = f" ; la feuille « {name} » est masquée : l'afficher" if name in hidden else ""
            problems.append(
                Problem(
                    relative(workbook if present(workbook) else folder / f"{name}.csv", inputs),
                    f"la table « {name} » ({name}.csv, ou une feuille « {name} » de {WORKBOOK}){masked}",
                )
            )
    if problems:
        raise InputError(problems)
    return raws, files, notices


def doubled_sources_expected(folder: Path, inputs: Path, doubled: list[str]) -> str:
    """What to do when tables are both in figures.xlsx and in CSV files: which files to move, where, how."""
    from flows.commands import suggest

    region, year = folder.parent.name, folder.name
    command = suggest("workbook", "--region", region, "--year", year, "--ranger-csv", inputs=inputs)
    return (
        f"une seule source par table : {len(doubled)} table(s) sont à la fois dans {WORKBOOK} et dans un fichier "
        f"CSV ({', '.join(doubled)}). Pour travailler dans le classeur, déplacez ces fichiers CSV dans "
        f"{folder / ASIDE_FOLDER}/ (un dossier que l'outil ne lit pas), ou lancez « {command} », qui les y "
        f"déplace après confirmation. Pour travailler dans les fichiers CSV, retirez plutôt {WORKBOOK} du dossier"
    )


def _attachments(
    tables: Mapping[str, pl.DataFrame], raws: Mapping[str, RawTable], files: list[InputFile]
) -> tuple[tuple[str, bytes], ...]:
    """The figure tables as CSV files, to attach to the archival PDF: a CSV input byte for byte as it
    was read; a workbook sheet exported as `;`-separated UTF-8 CSV."""
    csv_files = {file.source.rpartition("/")[2]: file.data for file in files}
    attached = []
    for name in sorted(tables):
        if f"{name}.csv" in csv_files:
            attached.append((f"{name}.csv", csv_files[f"{name}.csv"]))
        elif name in raws:
            attached.append((f"{name}.csv", as_csv(raws[name])))
    return tuple(attached)


def _read_texts(folder: Path, inputs: Path) -> tuple[dict[str, Text], list[InputFile]]:
    """Every Markdown file under texts/, keyed by its path without `.md`."""
    texts: dict[str, Text] = {}
    files: list[InputFile] = []
    problems: list[Problem] = []
    if not folder.is_dir():
        if present(folder):  # a file, or a link to nowhere, where the texts' folder should be
            raise InputError(Problem(relative(folder, inputs), "un dossier texts/ contenant les textes (.md)"))
        return texts, files
    for path in sorted(folder.rglob("*")):
        source = relative(path, inputs)
        if path.is_dir():
            if path.suffix == ".md":
                problems.append(Problem(source, "un fichier, pas un dossier"))
            continue
        if path.suffix != ".md":
            problems.append(Problem(source, "des fichiers Markdown (.md) dans texts/", value=path.name))
            continue
        key = path.relative_to(folder).with_suffix("").as_posix()
        try:
            file = read_input(path, inputs, MAX_TEXT_BYTES)
            texts[key] = parse_text(file, key)
            files.append(file)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return texts, files


def read_missions_reference(inputs: Path) -> tuple[pl.DataFrame, InputFile]:
    """The national list of FIR missions (number → short label), and the file it was read from."""
    path = inputs / MISSIONS_REFERENCE
    if not present(path):
        raise InputError(Problem(relative(path, inputs), "la liste nationale des missions du FIR"))
    file = read_input(path, inputs, MAX_TABLE_BYTES)
    frame = parse_table(parse_csv_cells(file, MISSIONS_SPEC.name), MISSIONS_SPEC)
    return frame.select("mission", "short_label"), file


def _read_ledger(
    folder: Path, inputs: Path, year: int, tables: dict[str, pl.DataFrame], sources: dict[str, str]
) -> tuple[ledger.LedgerTotals | None, list[InputFile]]:
    """When the edition has a line-level ledger, aggregate it: it supplies the `missions` and
    `thematics` tables the edition does not give (validation compares it with those it gives)."""
    found = [folder / name for name in LEDGER_NAMES if present(folder / name)]
    if not found:
        return None, []
    nomenclature = folder / NOMENCLATURE
    if len(found) > 1 or not present(nomenclature):
        expected = (
            "un seul grand livre (ledger.csv ou ledger.parquet)"
            if len(found) > 1
            else f"la nomenclature {NOMENCLATURE} à côté du grand livre"
        )
        raise InputError(Problem(relative(found[0], inputs), expected))
    ledger_file = read_input(found[0], inputs)
    nomenclature_file = read_input(nomenclature, inputs)
    nomenclature_frame = ledger_read.read_nomenclature(nomenclature_file)
    totals = ledger.aggregate(ledger_read.scan_ledger(ledger_file), nomenclature_frame, year, file=ledger_file)
    for name, frame in ledger.as_tables(totals).items():
        if name not in tables:
            tables[name] = frame
            sources[name] = f"{ledger_file.source} (agrégé)"
    return totals, [ledger_file, nomenclature_file]
