"""Read one edition folder (metadata, figure tables, narrative) into typed frames and texts.

This is the only module that reads `inputs/`. Every failure is an InputError naming the file,
the line or cell, the column, the value and what was expected.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml
from frontmatter.default_handlers import YAMLHandler

from flows.edition.contract import SLUG, TABLES, RawTable, parse_table
from flows.edition.errors import InputError, Problem

WORKBOOK = "figures.xlsx"
MAX_TABLE_BYTES = 50 * 1024 * 1024  # a yearly aggregate table is a few kB; refuse before reading
MAX_TEXT_BYTES = 1 * 1024 * 1024  # one narrative file is a few kB
REFERENCE_DIR = "_reference"


@dataclass(frozen=True)
class EditionMeta:
    region: str
    region_name: str
    agency: str
    agency_short: str
    year: int
    title: str
    part_label: str = "Partie"
    website: str | None = None
    primary: str = "#00467f"
    accent: str = "#d4006e"
    logo: Path | None = None
    subset_title: str | None = None
    subset_exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Text:
    key: str  # "fir", "actions", "actions/<action_id>", "parts/<part_id>", "thematics/<id>"
    source: str  # path relative to the inputs folder, for messages
    body: str  # Markdown, front matter removed
    front: dict = field(default_factory=dict)
    body_line: int = 1  # file line where the body starts


@dataclass
class Edition:
    meta: EditionMeta
    folder: Path
    tables: dict[str, pl.DataFrame]
    sources: dict[str, str]  # table name → where it was read from
    texts: dict[str, Text]
    missions_ref: pl.DataFrame
    files: list[Path]  # every input file read, for checksums
    ledger_notes: list[str] = field(default_factory=list)  # line-level ledger vs tables (see inputs/LEDGER.md)

    def table(self, name: str) -> pl.DataFrame | None:
        return self.tables.get(name)


def list_editions(inputs: Path) -> list[tuple[str, int]]:
    """Every (region, year) folder under `inputs`, sorted."""
    found = []
    for region_dir in sorted(p for p in inputs.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        for year_dir in sorted(region_dir.iterdir()):
            if year_dir.is_dir() and year_dir.name.isdigit() and (year_dir / "edition.toml").exists():
                found.append((region_dir.name, int(year_dir.name)))
    return found


def read_edition(inputs: Path, region: str, year: int) -> Edition:
    """Read and type everything an edition's brochure needs."""
    folder = inputs / region / str(year)
    if not folder.is_dir():
        available = ", ".join(f"{r}/{y}" for r, y in list_editions(inputs)) if inputs.is_dir() else "aucune"
        raise InputError(Problem(_rel(folder, inputs), f"un dossier d'édition existant (disponibles : {available})"))
    meta = read_meta(folder / "edition.toml", inputs, region, year)
    raws, files = read_raw_tables(folder, inputs)
    problems: list[Problem] = []
    tables: dict[str, pl.DataFrame] = {}
    for name, raw in raws.items():
        try:
            tables[name] = parse_table(raw, TABLES[name])
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    texts = read_texts(folder / "texts", inputs)
    files += [folder / "edition.toml"] + [inputs / t.source for t in texts.values()]
    missions_ref = read_missions_reference(inputs)
    files.append(inputs / REFERENCE_DIR / "missions.csv")
    sources = {n: r.source for n, r in raws.items()}
    notes = read_ledger(folder, inputs, year, tables, sources, files)
    return Edition(meta, folder, tables, sources, texts, missions_ref, sorted(files), notes)


LEDGER_NAMES = ("ledger.parquet", "ledger.csv")
NOMENCLATURE = "nomenclature.csv"


def read_ledger(
    folder: Path, inputs: Path, year: int, tables: dict[str, pl.DataFrame], sources: dict[str, str], files: list[Path]
) -> list[str]:
    """When the edition has a line-level ledger, aggregate it: it supplies the `missions` and
    `thematics` tables the edition does not give, and is reconciled with those it gives.
    Returns what the validation report should say about it."""
    from flows.edition.ingest import ledger

    found = [folder / name for name in LEDGER_NAMES if (folder / name).exists()]
    if not found:
        return []
    nomenclature = folder / NOMENCLATURE
    if len(found) > 1 or not nomenclature.exists():
        expected = (
            "un seul grand livre (ledger.csv ou ledger.parquet)"
            if len(found) > 1
            else f"la nomenclature {NOMENCLATURE} à côté du grand livre"
        )
        raise InputError(Problem(_rel(found[0], inputs), expected))
    totals = ledger.aggregate(
        ledger.scan_ledger(found[0]), ledger.read_nomenclature(nomenclature), year, source=_rel(found[0], inputs)
    )
    files += [found[0], nomenclature]
    given = {name: tables.get(name) for name in ("missions", "thematics")}
    notes = ledger.reconcile(totals, given["missions"], given["thematics"], tables.get("execution"))
    for name, frame in ledger.as_tables(totals).items():
        if given[name] is None:
            tables[name] = frame
            sources[name] = f"{_rel(found[0], inputs)} (agrégé)"
    return notes + ledger.describe(totals)


def input_checksums(edition: Edition, inputs: Path) -> dict[str, str]:
    """SHA-256 of every input file the edition was built from, by path relative to `inputs`."""
    return {_rel(path, inputs): hashlib.sha256(path.read_bytes()).hexdigest() for path in edition.files}


def read_other_editions(inputs: Path, region: str, year: int) -> tuple[dict[int, dict[str, pl.DataFrame]], list[str]]:
    """The tables of the region's earlier editions, for the comparison across editions.

    An edition published after `year` is left out (a brochure never shows the future); one that
    cannot be read is left out too, and said why, without stopping this edition's build.
    """
    found: dict[int, dict[str, pl.DataFrame]] = {}
    skipped: list[str] = []
    for other_region, other_year in list_editions(inputs):
        if other_region != region or other_year >= year:
            continue
        try:
            found[other_year] = read_edition(inputs, region, other_year).tables
        except InputError as exc:
            skipped.append(f"édition {other_year} écartée de la comparaison : {exc.problems[0]}")
    return found, skipped


def read_meta(path: Path, inputs: Path, region: str, year: int) -> EditionMeta:
    """Parse edition.toml and check it agrees with the folder it sits in."""
    source = _rel(path, inputs)
    if not path.exists():
        raise InputError(Problem(source, "un fichier edition.toml décrivant l'édition (voir inputs/README.md)"))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(source, "un fichier encodé en UTF-8", _line_of(path.read_bytes(), exc.start))
        ) from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        if where is None:
            raise InputError(Problem(source, f"un fichier TOML valide ({exc})")) from None
        line, reason = int(where.group(1)), str(exc)[: where.start()].strip()
        hint = " ; un texte s'écrit entre guillemets" if reason == "Invalid value" else ""
        text = path.read_text(encoding="utf-8").splitlines()
        raise InputError(
            Problem(
                source,
                f"un fichier TOML valide ({reason}, caractère {where.group(2)}{hint})",
                line,
                value=text[line - 1] if line <= len(text) else None,
            )
        ) from None
    problems = []
    for key in ("region", "region_name", "agency", "agency_short", "year", "title"):
        if key not in data:
            problems.append(Problem(source, f"une clé « {key} »", column=key))
    if problems:
        raise InputError(problems)
    for key in ("region_name", "agency", "agency_short", "title", "part_label", "website"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            problems.append(Problem(source, "un texte non vide entre guillemets", column=key, value=str(data[key])))
    for key in ("brand", "thematic_subset"):
        if not isinstance(data.get(key, {}), dict):
            problems.append(
                Problem(source, f"une section « [{key}] » de lignes « clé = valeur »", column=key, value=str(data[key]))
            )
    if problems:
        raise InputError(problems)
    if data["region"] != region or not SLUG.match(str(data["region"])):
        problems.append(
            Problem(source, f"« {region} », le nom du dossier de la région", column="region", value=str(data["region"]))
        )
    if type(data["year"]) is not int:
        problems.append(Problem(source, f"le nombre {year}, sans guillemets", column="year", value=str(data["year"])))
    elif data["year"] != year:
        problems.append(
            Problem(source, f"{year}, le nom du dossier de l'année", column="year", value=str(data["year"]))
        )
    brand = data.get("brand", {})
    subset = data.get("thematic_subset", {})
    exclude = subset.get("exclude", [])
    if not (isinstance(exclude, list) and all(isinstance(e, str) for e in exclude)):
        problems.append(
            Problem(
                source,
                'une liste d\'identifiants de thématiques (ex. ["investissements"])',
                column="thematic_subset.exclude",
                value=str(exclude),
            )
        )
    if not isinstance(subset.get("title", ""), str):
        problems.append(
            Problem(source, "un texte entre guillemets", column="thematic_subset.title", value=str(subset["title"]))
        )
    logo = None
    if brand.get("logo"):
        name = str(brand["logo"])
        logo = None if "\x00" in name else (path.parent / name).resolve()  # a NUL byte names no file
        if logo is None or not logo.is_file() or path.parent.resolve() not in logo.parents:
            problems.append(
                Problem(
                    source,
                    "un fichier logo dans le dossier de l'édition",
                    column="brand.logo",
                    value=str(brand["logo"]),
                )
            )
        elif problem := check_logo(logo, f"{source}, brand.logo"):
            problems.append(problem)
            logo = None
    for key in ("primary", "accent"):
        value = str(brand.get(key, "#000000"))
        if not (len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in value[1:])):
            problems.append(Problem(source, "une couleur « #rrggbb »", column=f"brand.{key}", value=value))
    if problems:
        raise InputError(problems)
    return EditionMeta(
        region=data["region"],
        region_name=data["region_name"],
        agency=data["agency"],
        agency_short=data["agency_short"],
        year=int(data["year"]),
        title=data["title"],
        part_label=data.get("part_label", "Partie"),
        website=data.get("website"),
        primary=brand.get("primary", EditionMeta.primary),
        accent=brand.get("accent", EditionMeta.accent),
        logo=logo,
        subset_title=subset.get("title"),
        subset_exclude=tuple(subset.get("exclude", ())),
    )


LOGO_FORMATS = {".svg", ".png", ".jpg", ".jpeg"}
MAX_LOGO_BYTES = 5 * 1024 * 1024
MAX_LOGO_PIXELS = 4000 * 4000  # a print logo needs a few hundred pixels; a huge one would exhaust memory


def check_logo(path: Path, source: str) -> Problem | None:
    """Refuse a logo that is not a small SVG, PNG or JPEG, before anything decodes it."""
    if path.suffix.lower() not in LOGO_FORMATS:
        return Problem(source, "un logo SVG, PNG ou JPEG", value=path.name)
    size = path.stat().st_size
    if size > MAX_LOGO_BYTES:
        return Problem(source, f"un logo de moins de {MAX_LOGO_BYTES // (1024 * 1024)} Mo", value=f"{size} octets")
    if path.suffix.lower() == ".svg":
        return None
    from PIL import Image, UnidentifiedImageError

    too_big = f"une image d'au plus {MAX_LOGO_PIXELS // 1_000_000} millions de pixels"
    try:
        with Image.open(path) as image:  # reads the header only
            width, height = image.size
    except Image.DecompressionBombError:  # Pillow's own guard, from the header too
        return Problem(source, too_big, value=f"{path.name} (image démesurée)")
    except (UnidentifiedImageError, OSError):
        return Problem(source, "une image PNG ou JPEG lisible", value=path.name)
    if width * height > MAX_LOGO_PIXELS:
        return Problem(source, too_big, value=f"{width} × {height} px")
    return None


def read_raw_tables(folder: Path, inputs: Path) -> tuple[dict[str, RawTable], list[Path]]:
    """Collect every table as text cells, from `<table>.csv` files or sheets of figures.xlsx."""
    problems: list[Problem] = []
    raws: dict[str, RawTable] = {}
    files: list[Path] = []
    unreadable: set[str] = set()
    for path in sorted(folder.glob("*.csv")):
        if path.name == NOMENCLATURE or path.name in LEDGER_NAMES:
            continue  # read by read_ledger
        if path.stem not in TABLES:
            problems.append(
                Problem(_rel(path, inputs), f"un nom de table parmi : {', '.join(TABLES)}", value=path.name)
            )
            continue
        try:
            raws[path.stem] = read_csv_cells(path, path.stem, _rel(path, inputs))
            files.append(path)
        except InputError as exc:
            problems.extend(exc.problems)
            unreadable.add(path.stem)
    workbook = folder / WORKBOOK
    if workbook.exists():
        try:
            sheets = read_xlsx_cells(workbook, _rel(workbook, inputs))
            files.append(workbook)
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
                    _rel(workbook if workbook.exists() else folder / f"{name}.csv", inputs),
                    f"la table « {name} » ({name}.csv, ou une feuille « {name} » de {WORKBOOK})",
                )
            )
    if problems:
        raise InputError(problems)
    return raws, files


def read_csv_cells(path: Path, name: str, source: str) -> RawTable:
    """A CSV file as text cells: UTF-8 (BOM allowed), `;` or `,` separated, LF or CRLF."""
    data = _read_bounded(path, source, MAX_TABLE_BYTES)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise InputError(
            Problem(
                source,
                "un fichier encodé en UTF-8 (ré-exporter en « CSV UTF-8 » ; ce fichier semble être en "
                "Latin-1 / Windows-1252)",
                _line_of(data, exc.start),
                value=f"octet 0x{byte:02X}",
            )
        ) from None
    if "\x00" in text:
        raise InputError(Problem(source, "un fichier texte CSV (il contient des octets nuls)"))
    if not text.strip():
        raise InputError(Problem(source, "un en-tête de colonnes puis des lignes de données (le fichier est vide)", 1))
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = ";" if ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 1
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    start = 1  # file line where the next row starts (a quoted value may span lines)
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header, header_line = row, line
                continue
            if len(row) > len(header):
                problems.append(
                    Problem(
                        source,
                        f"{len(header)} colonnes comme l'en-tête (trouvé : {len(row)} ; "
                        f"séparateur « {delimiter} » dans une valeur non protégée par des guillemets ?)",
                        line,
                        value=delimiter.join(row),
                    )
                )
                continue
            rows.append(row + [""] * (len(header) - len(row)))
            lines.append(line)
    except csv.Error as exc:
        message = str(exc)
        at = start if "end of data" in message else reader.line_num
        if "end of data" in message:  # a quote never closed: the value would run to the end of the file
            expected = 'un guillemet « " » fermant la valeur ouverte sur cette ligne'
        elif "expected after" in message:  # `"a"b`: text after a closing quote
            expected = f"un guillemet fermant suivi du séparateur « {delimiter} » ou de la fin de ligne"
        else:
            expected = f"un CSV bien formé ({message})"
        file_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        raise InputError(Problem(source, expected, at, value=file_lines[at - 1][:200])) from None
    if problems:
        raise InputError(problems)
    return RawTable(name, source, header or [], rows, lines, header_line)


def read_xlsx_cells(path: Path, source: str) -> dict[str, RawTable]:
    """Every table sheet of a workbook as text cells. Formulas and merged cells are refused."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    _read_bounded(path, source, MAX_TABLE_BYTES, read=False)
    try:
        workbook = load_workbook(path, data_only=False)
    except Exception as exc:  # a damaged file fails deep in zip / zlib / XML parsing, with any exception type
        raise InputError(
            Problem(source, f"un classeur Excel .xlsx valide (ouverture impossible : {type(exc).__name__})")
        ) from None
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    for sheet in workbook.worksheets:
        if sheet.title.startswith("_"):
            continue
        sheet_source = f"{source}, feuille « {sheet.title} »"
        if sheet.title not in TABLES:
            problems.append(Problem(source, f"des feuilles nommées parmi : {', '.join(TABLES)}", value=sheet.title))
            continue
        for merged in sheet.merged_cells.ranges:
            problems.append(
                Problem(
                    sheet_source,
                    "des cellules non fusionnées (défusionner et recopier la valeur)",
                    cell=str(merged),
                    value=str(merged),
                )
            )
        grid: list[tuple[int, list[str]]] = []
        for row in sheet.iter_rows():
            cells = []
            for cell in row:
                if cell.data_type == "f":
                    problems.append(
                        Problem(
                            sheet_source,
                            "une valeur, pas une formule (coller en valeurs)",
                            cell=cell.coordinate,
                            value=str(cell.value),
                        )
                    )
                cells.append(_cell_text(cell.value, cell.number_format))
            if any(c.strip() for c in cells):
                grid.append((row[0].row, cells))
        if not grid:
            problems.append(Problem(sheet_source, "un en-tête de colonnes en ligne 1 puis des lignes de données", 1))
            continue
        header_line, header = grid[0]
        while header and not header[-1].strip():
            header.pop()
        rows = [cells[: len(header)] + [""] * max(0, len(header) - len(cells)) for _, cells in grid[1:]]
        overflow = [(line, cells) for line, cells in grid[1:] if any(c.strip() for c in cells[len(header) :])]
        for line, _ in overflow:
            problems.append(Problem(sheet_source, f"{len(header)} colonnes comme l'en-tête", line))
        tables[sheet.title] = RawTable(
            sheet.title,
            sheet_source,
            header,
            rows,
            [line for line, _ in grid[1:]],
            header_line,
            cell_ref=lambda line, col: f"{get_column_letter(col + 1)}{line}",
        )
    if problems:
        raise InputError(problems)
    return tables


def _cell_text(value: object, number_format: str = "General") -> str:
    """A workbook cell as the text a CSV export would hold.

    A number keeps the decimals its cell format shows (`0.0` → `100.0`), which is the precision it is
    printed with; in the General format it is written in full.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        shown = _format_decimals(number_format)
        if shown is not None:
            return f"{value:.{shown}f}"
        if isinstance(value, int):
            return str(value)
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def _format_decimals(number_format: str) -> int | None:
    """Decimals shown by an Excel number format (`#,##0.00` → 2); None for General or text."""
    section = number_format.split(";")[0]
    if section in ("General", "@") or not any(c in section for c in "0#"):
        return None
    if "." not in section:
        return 0
    return sum(1 for c in section.split(".", 1)[1] if c in "0#")


def figure_tables_as_csv(edition: Edition) -> list[tuple[str, bytes]]:
    """The edition's figure tables as CSV files, to attach to the archival PDF: a CSV input as it was
    read, byte for byte; a workbook sheet exported as `;`-separated UTF-8 CSV."""
    files: list[tuple[str, bytes]] = []
    workbook = edition.folder / WORKBOOK
    sheets = read_xlsx_cells(workbook, WORKBOOK) if workbook.exists() else {}
    for name in sorted(edition.tables):
        path = edition.folder / f"{name}.csv"
        if path.exists():
            files.append((path.name, path.read_bytes()))
        elif name in sheets:
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
            writer.writerow(sheets[name].header)
            writer.writerows(sheets[name].rows)
            files.append((f"{name}.csv", buffer.getvalue().encode("utf-8")))
    return files


def read_texts(folder: Path, inputs: Path) -> dict[str, Text]:
    """Every Markdown file under texts/, keyed by its path without `.md`."""
    texts: dict[str, Text] = {}
    problems: list[Problem] = []
    if not folder.is_dir():
        return texts
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue
        source = _rel(path, inputs)
        if path.suffix != ".md":
            problems.append(Problem(source, "des fichiers Markdown (.md) dans texts/", value=path.name))
            continue
        try:
            texts[path.relative_to(folder).with_suffix("").as_posix()] = read_text(path, source)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return texts


def read_text(path: Path, source: str) -> Text:
    """One Markdown file with its optional YAML front matter."""
    data = _read_bounded(path, source, MAX_TEXT_BYTES)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(
                source, "un texte encodé en UTF-8", _line_of(data, exc.start), value=f"octet 0x{data[exc.start]:02X}"
            )
        ) from None
    raw = raw.replace("\r\n", "\n")
    metadata, body, body_line = _split_front_matter(raw, source)
    return Text(path.with_suffix("").name, source, body, metadata, body_line)


# Only a YAML header between `---` lines: a text that opens with `+++` or `{` is body text to us, not a
# TOML or JSON header (python-frontmatter would try both).
_YAML_HEADER = YAMLHandler()


def _split_front_matter(raw: str, source: str) -> tuple[dict, str, int]:
    """The optional YAML header, the body (stripped) and the file line where the body starts."""
    text = raw.lstrip()
    lead = raw[: len(raw) - len(text)].count("\n")  # blank lines before the header
    parts = _YAML_HEADER.FM_BOUNDARY.split(text, 2) if _YAML_HEADER.detect(text) else []
    if len(parts) != 3:  # no header, or an opening `---` never closed: all body
        return {}, raw.strip(), lead + 1
    _, header, rest = parts
    try:
        metadata = _YAML_HEADER.load(header)
    except yaml.YAMLError as exc:
        # The header text starts with the end of the opening `---` line: a mark's 0-based line is the
        # file's line number minus one (plus the blank lines before the header).
        mark, opened = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
        line = lead + (mark.line + 1 if mark is not None else 1)
        detail = str(getattr(exc, "problem", None) or exc)
        if mark is not None and opened is not None and opened.line != mark.line:
            detail += f" ; élément commencé ligne {lead + opened.line + 1}"
        raise InputError(
            Problem(source, f"un en-tête YAML valide entre deux lignes « --- » ({detail})", line)
        ) from None
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict) or not all(isinstance(k, str) for k in metadata):
        raise InputError(Problem(source, "un en-tête YAML de la forme « clé: valeur »", lead + 2))
    body = rest.strip()
    skipped = text[: len(text) - len(rest)] + rest[: len(rest) - len(rest.lstrip())]
    return metadata, body, lead + skipped.count("\n") + 1


def read_missions_reference(inputs: Path) -> pl.DataFrame:
    """The national list of FIR missions (number → short label)."""
    path = inputs / REFERENCE_DIR / "missions.csv"
    raw = read_csv_cells(path, "missions_reference", _rel(path, inputs)) if path.exists() else None
    if raw is None:
        raise InputError(Problem(_rel(path, inputs), "la liste nationale des missions du FIR"))
    frame = pl.DataFrame([dict(zip(raw.header, row, strict=False)) for row in raw.rows])
    return frame.with_columns(pl.col("mission").cast(pl.Int64))


def _read_bounded(path: Path, source: str, limit: int, read: bool = True) -> bytes:
    size = path.stat().st_size
    if size > limit:
        raise InputError(
            Problem(
                source, f"un fichier de moins de {limit // (1024 * 1024)} Mo (taille : {size / (1024 * 1024):.0f} Mo)"
            )
        )
    return path.read_bytes() if read else b""


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _rel(path: Path, inputs: Path) -> str:
    try:
        return path.resolve().relative_to(inputs.resolve()).as_posix()
    except ValueError:
        return str(path)
