"""Reading the line-level ledger and its nomenclature (contract: inputs/LEDGER.md).

The ledger is scanned lazily (Polars reads the snapshot's bytes, or a direct caller's path); the
nomenclature goes through `csv_cells.parse_csv_cells` like every other CSV table, so it is decoded,
split and located by the same rule. When Polars cannot read the ledger, the helpers at the end find
the line to name from the file's bytes — the snapshot's, never a second read of inputs/.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path

import polars as pl

from flows.edition.contract import SLUG
from flows.edition.errors import InputError, Problem
from flows.edition.ingest.csv_cells import NOT_UTF8, parse_csv_cells, separator
from flows.edition.ingest.files import InputFile, line_of, read_input

COLUMNS = ("date", "budget", "amount", "destination", "department", "beneficiary_category")
NOMENCLATURE_COLUMNS = ("destination", "mission", "thematic_id")
NOMENCLATURE_OPTIONAL = ("label", "thematic_label")
MISSIONS = (1, 2, 3, 4, 5)
# Column scan_ledger adds: the file the lines come from, for messages. Its value is also its dtype's only
# category (an Enum), so the file is known from the schema alone, without reading a line (empty or
# unreadable files included), and it survives any filter or projection a caller applies.
SOURCE = "_source"
ROW = "_row"

EXPECTED = {
    "date": "une date ISO AAAA-MM-JJ (ex. « 2024-03-15 »)",
    "budget": "« AE » ou « CP »",
    "amount": (
        "un montant en euros, au plus 2 décimales après un point, « - » devant une annulation, "
        "sans espace ni symbole (ex. « 1234.56 », « -80 »)"
    ),
    "destination": "un code de destination FIR (texte)",
    "department": "un code de département (texte, ex. « 59 »)",
    "beneficiary_category": "une catégorie de bénéficiaire (texte)",
}


def scan_ledger(path: str | Path | InputFile) -> pl.LazyFrame:
    """The ledger as a LazyFrame, nothing read yet but its header (CSV) or schema (Parquet).

    CSV: UTF-8, comma-separated (the contract's separator, not guessed), header on line 1; every
    column is read as text (explicit schema, nothing inferred) and typed by `ledger.aggregate`.
    Parquet: the file's own column types. A `_source` column holds the file's name, for messages.
    Given an InputFile (the edition's snapshot), Polars reads its bytes, not the file again.
    """
    data: Path | bytes
    if isinstance(path, InputFile):
        data, source, suffix = path.data, path.source, Path(path.source).suffix.lower()
    else:
        data = Path(path)
        source, suffix = str(path), data.suffix.lower()
        if not data.is_file():
            raise InputError(Problem(source, "un fichier de grand livre existant (.csv ou .parquet)"))
    if suffix == ".csv":
        header = _csv_header(data, source)
        check_columns(header, source, line=1)
        frame = pl.scan_csv(data, has_header=True, separator=",", schema=dict.fromkeys(header, pl.String), glob=False)
        return _with_source(frame, source)
    if suffix in (".parquet", ".pq"):
        try:
            frame = pl.scan_parquet(data, glob=False)
            names = frame.collect_schema().names()
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputError(Problem(source, "un fichier Parquet lisible", value=first_line(exc))) from None
        check_columns(names, source)
        return _with_source(frame, source)
    raise InputError(Problem(source, "un grand livre en .csv ou en .parquet", value=suffix or source))


def _with_source(frame: pl.LazyFrame, source: str) -> pl.LazyFrame:
    return frame.with_columns(pl.lit(source, dtype=pl.Enum([source])).alias(SOURCE))


def _csv_header(data: Path | bytes, source: str) -> list[str]:
    try:
        header = pl.scan_csv(data, has_header=True, infer_schema=False, glob=False).collect_schema().names()
    except pl.exceptions.NoDataError:
        raise InputError(Problem(source, "une ligne d'en-tête : " + ",".join(COLUMNS), 1)) from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(file_problem(data, source, exc)) from None
    duplicated = [name for name in header if "_duplicated_" in name]
    if duplicated:
        original = duplicated[0].split("_duplicated_")[0]
        raise InputError(Problem(source, "chaque colonne une seule fois", 1, original, original))
    return header  # as written: a name with stray spaces is reported as a missing column


def check_columns(names: list[str], source: str, line: int | None = None) -> None:
    """Raise InputError naming every required column missing (and a `;` separator, if that is why)."""
    missing = [c for c in COLUMNS if c not in names]
    if not missing:
        return
    hint = ""
    if len(names) == 1 and separator(names[0]) == ";":
        hint = " ; le séparateur est la virgule (le fichier semble séparé par des points-virgules)"
    raise InputError(
        [
            Problem(source, f"une colonne « {name} » ({EXPECTED[name]}){hint}", line, name, ",".join(names))
            for name in missing
        ]
    )


def read_nomenclature(path: str | Path | InputFile) -> pl.DataFrame:
    """The nomenclature CSV (UTF-8, `,` or `;`): destination → mission (1..5), thematic_id.

    Returns destination (String), mission (Int64), thematic_id (String), label and thematic_label
    (String, null when left out) and `_line`; raises InputError listing every bad cell.
    """
    file = _input_file(path, "un fichier de nomenclature existant")
    source = file.source
    raw = parse_csv_cells(file, "nomenclature")
    header = [h.strip() for h in raw.header]
    known = NOMENCLATURE_COLUMNS + NOMENCLATURE_OPTIONAL
    problems = [
        Problem(source, f"une colonne parmi : {', '.join(known)}", raw.header_line, name or "(vide)", name)
        for name in header
        if name not in known
    ]
    problems += [
        Problem(source, f"une colonne « {name} »", raw.header_line, name)
        for name in NOMENCLATURE_COLUMNS
        if name not in header
    ]
    if problems:
        raise InputError(problems)
    index = {name: i for i, name in enumerate(header)}
    cells = {name: [row[index[name]].strip() or None for row in raw.rows] for name in known if name in index}
    empty: list[str | None] = [None] * len(raw.rows)
    mission = cells["mission"]
    frame = pl.DataFrame(
        {
            "_line": raw.lines,
            **{name: cells.get(name, empty) for name in ("destination", "thematic_id", *NOMENCLATURE_OPTIONAL)},
            "mission": [int(m) if m and re.fullmatch(r"\d{1,2}", m) else None for m in mission],
            "mission_text": mission,
        },
        schema={
            "_line": pl.Int64,
            "destination": pl.String,
            "thematic_id": pl.String,
            "label": pl.String,
            "thematic_label": pl.String,
            "mission": pl.Int64,
            "mission_text": pl.String,
        },
    )
    check_nomenclature(frame, source)
    return frame.select("_line", "destination", "mission", "thematic_id", "label", "thematic_label")


def check_nomenclature(nomenclature: pl.DataFrame, source: str = "nomenclature") -> None:
    """Raise InputError unless every destination is a unique code mapped to a mission and a thematic."""
    missing = [c for c in NOMENCLATURE_COLUMNS if c not in nomenclature.columns]
    if missing:
        raise InputError([Problem(source, f"une colonne « {name} »", None, name) for name in missing])
    if nomenclature.height == 0:
        raise InputError(Problem(source, "au moins une destination"))
    frame = nomenclature.with_row_index(ROW)
    lines = frame["_line"].to_list() if "_line" in frame.columns else [i + 1 for i in frame[ROW].to_list()]
    shown = frame["mission_text"].to_list() if "mission_text" in frame.columns else None
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, row in enumerate(frame.iter_rows(named=True)):
        code, mission, thematic = row["destination"], row["mission"], row["thematic_id"]
        if code is None or str(code).strip() == "":
            problems.append(
                Problem(source, "un code de destination (la cellule est vide)", lines[i], "destination", "")
            )
        elif str(code) in seen:
            problems.append(
                Problem(source, "un code de destination unique (doublon)", lines[i], "destination", str(code))
            )
        else:
            seen.add(str(code))
        if mission is None or mission not in MISSIONS:
            value = shown[i] if shown is not None else mission
            problems.append(
                Problem(
                    source, "un numéro de mission de 1 à 5", lines[i], "mission", "" if value is None else str(value)
                )
            )
        if thematic is None or not SLUG.match(str(thematic)):
            problems.append(
                Problem(
                    source,
                    "l'identifiant d'une thématique (minuscules, chiffres et tirets, ex. « investissements »)",
                    lines[i],
                    "thematic_id",
                    "" if thematic is None else str(thematic),
                )
            )
    if problems:
        raise InputError(problems)


def _input_file(path: str | Path | InputFile, expected: str) -> InputFile:
    """The snapshot's file as it is; a direct caller's path (tests, benchmarks: outside any edition)
    read by `files.read_input` like any input, and named in messages as given."""
    if isinstance(path, InputFile):
        return path
    where = Path(path)
    try:
        file = read_input(where, where.parent)
    except OSError:
        raise InputError(Problem(str(path), expected)) from None
    return replace(file, source=str(path))


# --- messages about the file itself ----------------------------------------------------------------


def source_of(ledger: pl.LazyFrame) -> str:
    """The file scan_ledger read the lines from (see SOURCE), from the schema only."""
    try:
        dtype = ledger.collect_schema().get(SOURCE)
    except (pl.exceptions.PolarsError, OSError):
        return "grand livre"
    if isinstance(dtype, pl.Enum) and len(dtype.categories) == 1:
        return str(dtype.categories[0])
    return "grand livre"


def is_csv(source: str) -> bool:
    return source.lower().endswith(".csv")


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def file_problem(data: bytes | Path | None, source: str, exc: BaseException) -> Problem:
    """What is wrong with the ledger file itself, located from its bytes (the snapshot's; a direct
    caller's path is read only here, on the error path)."""
    if isinstance(data, Path):
        data = _input_file(data, "un fichier de grand livre lisible").data if data.is_file() else None
    message = first_line(exc)
    if "utf-8" in message.lower() or "utf8" in message.lower():
        return Problem(source, NOT_UTF8, _first_non_utf8_line(data) if data is not None else None)
    if is_csv(source):
        found = _first_ragged_line(data) if data is not None else None
        if found:
            line, fields, width = found
            return Problem(source, f"{width} champs comme l'en-tête (trouvé : {fields})", line, None, None)
        expected = (
            "un CSV séparé par des virgules, une écriture par ligne, autant de champs que de colonnes "
            "dans l'en-tête, guillemets fermés"
        )
        return Problem(source, expected, value=message)
    return Problem(source, "un fichier de grand livre lisible", value=message)


def _first_ragged_line(data: bytes) -> tuple[int, int, int] | None:
    """(line, fields, header fields) of the first record with more fields than the header, else of
    the first with fewer (an unclosed quote swallows the lines after it). Streamed through the csv
    module, the ledger's comma: only on the error path."""
    short = None
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.reader(text, delimiter=",")
    header = next(reader, None)
    if header is None:
        return None
    start = reader.line_num + 1
    for row in reader:
        if len(row) > len(header):
            return start, len(row), len(header)
        if row and len(row) < len(header) and short is None:
            short = start, len(row), len(header)
        start = reader.line_num + 1
    return short


def _first_non_utf8_line(data: bytes) -> int | None:
    """The line of the first byte that is not UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return line_of(data, exc.start)
    return None
