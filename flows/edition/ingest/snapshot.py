"""An edition read once into an immutable snapshot: metadata, typed tables, texts, logo, and every
input file's bytes and SHA-256.

This is the only module that walks an edition folder; `files.read_input` is the only function that
opens a file under inputs/. Nothing after the snapshot reads inputs/ again: validation, figures,
layout, the archival copy's attachments and the manifest's checksums all come from these bytes.
Every failure is an InputError naming the file, the line or cell, the column, the value and what was
expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from flows.edition.contract import TABLES, RawTable, parse_table
from flows.edition.errors import InputError, Problem
from flows.edition.ingest import ledger, ledger_read
from flows.edition.ingest.csv_cells import as_csv, parse_csv_cells
from flows.edition.ingest.files import InputFile, read_input, relative
from flows.edition.ingest.meta import META_FILE, EditionMeta, parse_meta
from flows.edition.ingest.texts import MAX_TEXT_BYTES, Text, parse_text
from flows.edition.ingest.xlsx_cells import WORKBOOK, parse_xlsx_cells

MAX_TABLE_BYTES = 50 * 1024 * 1024  # a yearly aggregate table is a few kB; refuse before reading
REFERENCE_DIR = "_reference"
MISSIONS_REFERENCE = f"{REFERENCE_DIR}/missions.csv"
LEDGER_NAMES = ("ledger.parquet", "ledger.csv")
NOMENCLATURE = "nomenclature.csv"


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


def list_editions(inputs: Path) -> list[tuple[str, int]]:
    """Every (region, year) folder under `inputs`, sorted."""
    found = []
    for region_dir in sorted(p for p in inputs.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        for year_dir in sorted(region_dir.iterdir()):
            if year_dir.is_dir() and year_dir.name.isdigit() and (year_dir / META_FILE).exists():
                found.append((region_dir.name, int(year_dir.name)))
    return found


def read_snapshot(inputs: Path, region: str, year: int) -> Snapshot:
    """The edition and its region's earlier editions, each input file read exactly once.

    An edition published after `year` is left out of the comparison (a brochure never shows the
    future); one that cannot be read is left out too, and said why, without stopping this build.
    """
    reference = read_missions_reference(inputs)
    edition = read_edition(inputs, region, year, reference)
    earlier: dict[int, Mapping[str, pl.DataFrame]] = {}
    skipped: list[str] = []
    for other_region, other_year in list_editions(inputs):
        if other_region != region or other_year >= year:
            continue
        try:
            earlier[other_year] = read_edition(inputs, region, other_year, reference).tables
        except InputError as exc:
            skipped.append(f"édition {other_year} écartée de la comparaison : {exc.problems[0]}")
    return Snapshot(edition, earlier, tuple(skipped))


def read_edition(
    inputs: Path, region: str, year: int, reference: tuple[pl.DataFrame, InputFile] | None = None
) -> Edition:
    """Read and type everything one edition's brochure needs (`reference`: the missions list, if read)."""
    folder = inputs / region / str(year)
    if not folder.is_dir():
        available = ", ".join(f"{r}/{y}" for r, y in list_editions(inputs)) if inputs.is_dir() else "aucune"
        raise InputError(
            Problem(relative(folder, inputs), f"un dossier d'édition existant (disponibles : {available})")
        )
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        raise InputError(
            Problem(relative(meta_path, inputs), "un fichier edition.toml décrivant l'édition (voir inputs/README.md)")
        )
    meta_file = read_input(meta_path, inputs)
    meta = parse_meta(meta_file, folder, inputs, region, year)
    raws, table_files = _read_raw_tables(folder, inputs)
    problems: list[Problem] = []
    tables: dict[str, pl.DataFrame] = {}
    for name, raw in raws.items():
        try:
            tables[name] = parse_table(raw, TABLES[name])
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    texts, text_files = _read_texts(folder / "texts", inputs)
    missions_ref, reference_file = reference or read_missions_reference(inputs)
    sources = {name: raw.source for name, raw in raws.items()}
    totals, ledger_files = _read_ledger(folder, inputs, year, tables, sources)
    files = [meta_file, *table_files, *text_files, reference_file, *ledger_files]
    if meta.logo is not None:
        files.append(meta.logo.file)
    return Edition(
        meta,
        tables,
        sources,
        texts,
        missions_ref,
        tuple(sorted(files, key=lambda f: f.source)),
        _attachments(tables, raws, table_files),
        totals,
    )


def _read_raw_tables(folder: Path, inputs: Path) -> tuple[dict[str, RawTable], list[InputFile]]:
    """Collect every table as text cells, from `<table>.csv` files or sheets of figures.xlsx."""
    problems: list[Problem] = []
    raws: dict[str, RawTable] = {}
    files: list[InputFile] = []
    unreadable: set[str] = set()
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
    if workbook.exists():
        try:
            file = read_input(workbook, inputs, MAX_TABLE_BYTES)
            sheets = parse_xlsx_cells(file)
            files.append(file)
        except InputError as exc:
            problems.extend(exc.problems)
            unreadable.update(TABLES)
            sheets = {}
        for name, raw in sheets.items():
            if name in raws:
                problems.append(
                    Problem(raw.source, f"une seule source pour la table « {name} » (elle existe aussi en {name}.csv)")
                )
            raws[name] = raw
    for name, spec in TABLES.items():
        if spec.required and name not in raws and name not in unreadable:
            problems.append(
                Problem(
                    relative(workbook if workbook.exists() else folder / f"{name}.csv", inputs),
                    f"la table « {name} » ({name}.csv, ou une feuille « {name} » de {WORKBOOK})",
                )
            )
    if problems:
        raise InputError(problems)
    return raws, files


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
        return texts, files
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue
        source = relative(path, inputs)
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
    if not path.is_file():
        raise InputError(Problem(relative(path, inputs), "la liste nationale des missions du FIR"))
    file = read_input(path, inputs, MAX_TABLE_BYTES)
    raw = parse_csv_cells(file, "missions_reference")
    frame = pl.DataFrame([dict(zip(raw.header, row, strict=False)) for row in raw.rows])
    return frame.with_columns(pl.col("mission").cast(pl.Int64)), file


def _read_ledger(
    folder: Path, inputs: Path, year: int, tables: dict[str, pl.DataFrame], sources: dict[str, str]
) -> tuple[ledger.LedgerTotals | None, list[InputFile]]:
    """When the edition has a line-level ledger, aggregate it: it supplies the `missions` and
    `thematics` tables the edition does not give (validation compares it with those it gives)."""
    found = [folder / name for name in LEDGER_NAMES if (folder / name).exists()]
    if not found:
        return None, []
    nomenclature = folder / NOMENCLATURE
    if len(found) > 1 or not nomenclature.exists():
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
