"""The open-data package as one zip, bytes out and no disk: every table as a CSV file (UTF-8, comma,
decimal point: what the Frictionless and most tools read by default) and as a sheet of one XLSX workbook
(for spreadsheet users; Excel misreads a UTF-8 CSV without a byte-order mark), described by a
`datapackage.json` (Frictionless Data Package, a Table Schema per table, licence Etalab 2.0).

Deterministic: the same tables and revision record give the same bytes (the catalogue compares a
revision's files by SHA-256). Every date inside — `created`, the workbook's properties, the zip entries'
times — is the revision's recorded build time, entries are written in a fixed order, the workbook is
re-zipped with that time too (openpyxl stamps its own entries and properties with the current time).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from flows.edition.authoring.workbook import CHARS_PER_WIDTH, LINE_HEIGHT
from flows.edition.ingest.snapshot import Edition
from flows.edition.opendata.tables import EUR, Cell, Table, package_tables
from flows.edition.prepare import Prepared
from flows.edition.wording import word_list, words

LICENCE = {"name": "etalab-2.0", "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"}
XLSX_MEDIATYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DESCRIPTOR = "datapackage.json"
_ZIP_EPOCH = dt.datetime(1980, 1, 1)  # the earliest time a zip entry can hold
MAX_WIDTH = 60  # characters: wider labels wrap
TOP, WRAP = Alignment(vertical="top"), Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class About:
    """What the package says about itself: the edition, the publisher, the revision it belongs to."""

    region: str
    region_name: str
    year: int
    title: str  # the brochure's title, "Le Fonds d'intervention régional 2024"
    agency: str
    website: str | None
    revision: int
    created: dt.datetime  # the revision's recorded build time (never "now": same record, same bytes)

    @property
    def name(self) -> str:
        return f"fir-{self.region}-{self.year}-donnees"


def cell_text(value: Cell) -> str:
    """A cell as the CSV writes it: integers and decimals plainly (`1.84`), nothing for a missing value."""
    if value is None:
        return ""
    if isinstance(value, Decimal):  # `20500000`, not `20500000.0`; `28.5`, `0.04` as printed
        return format(value, "f") if value != value.to_integral_value() else str(int(value))
    return str(value)


def table_csv(table: Table) -> bytes:
    """A table as CSV: header of the field names, UTF-8, comma, LF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f.name for f in table.fields])
    writer.writerows([cell_text(v) for v in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8")


def _xlsx_cell(value: Cell) -> str | int | float | None:
    # a Decimal is stored as the float it reads as (28.5): Excel holds numbers as doubles anyway
    return float(value) if isinstance(value, Decimal) else value


def tables_xlsx(tables: Sequence[Table], about: About) -> bytes:
    """All tables in one workbook, a sheet each (named as the table, header row = field names, bold and
    frozen, each with its French title as a comment), numbers as numbers; byte-identical for the same
    tables and build time."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.name)
        sheet.append([f.name for f in table.fields])
        for row in table.rows:
            sheet.append([_xlsx_cell(v) for v in row])
        for cell, field in zip(sheet[1], table.fields, strict=True):
            cell.font = Font(bold=True)
            # the row the tools read holds the field names; people read the French title on the cell
            cell.comment = Comment(f"{field.title}\n{field.description}".strip(), about.agency, width=300)
        sheet.freeze_panes = "A2"
        # printed, a sheet is one page wide in landscape, however many pages long
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = "1:1"
        for index, field in enumerate(table.fields, start=1):
            longest = max((len(cell_text(r[index - 1])) for r in table.rows), default=0)
            width = max(10, len(field.name), longest) + 2
            sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, width)
            column = [cell for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index)]
            for cell in column:
                cell.alignment = TOP  # a row's cells read from its top line, beside a wrapped label
                if field.unit == EUR:
                    cell.number_format = "#,##0"
                elif width > MAX_WIDTH:  # a long label wraps within its column instead of covering the next
                    cell.alignment = WRAP
                    lines = math.ceil(len(str(cell.value or "")) / (MAX_WIDTH * CHARS_PER_WIDTH))
                    dimension = sheet.row_dimensions[cell.row]
                    dimension.height = max(dimension.height or LINE_HEIGHT, lines * LINE_HEIGHT)
    created = about.created.astimezone(dt.UTC).replace(tzinfo=None)
    properties = workbook.properties
    properties.creator = about.agency
    properties.title = words("donnees_ouvertes.paquet.titre_classeur", titre=about.title, region=about.region_name)
    properties.created = properties.modified = created
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()  # not openpyxl's save_workbook, which stamps "modified" now
    return _restamped(buffer.getvalue(), about.created)


def _zip_time(when: dt.datetime) -> tuple[int, int, int, int, int, int]:
    local = max(when.replace(tzinfo=None), _ZIP_EPOCH)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


def _entry(name: str, when: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _zip_time(when))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16  # a plain file, readable by all, whatever the umask
    info.create_system = 3  # Unix, so that the permissions above are read
    return info


def _restamped(data: bytes, when: dt.datetime) -> bytes:
    """The same zip, each entry in its order, with a fixed time and attributes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(_entry(info.filename, when), source.read(info))
    return buffer.getvalue()


def _schema(table: Table) -> dict[str, Any]:
    fields = []
    for field in table.fields:
        entry: dict[str, Any] = {"name": field.name, "type": field.type, "title": field.title}
        if field.description:
            entry["description"] = field.description
        if field.unit:
            entry["unit"] = field.unit
        fields.append(entry)
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    return schema


def csv_path(table: Table) -> str:
    return f"csv/{table.name}.csv"


def xlsx_path(about: About) -> str:
    return f"{about.name}.xlsx"


def descriptor(tables: Sequence[Table], csv_files: Sequence[bytes], about: About) -> dict[str, Any]:
    """The datapackage.json: the package's metadata, then for each table its CSV resource and its sheet
    of the workbook (same schema, `-xlsx` after the name)."""
    resources: list[dict[str, Any]] = []
    for table, data in zip(tables, csv_files, strict=True):
        common = {"title": table.title, "description": table.description}
        resources.append(
            {
                "name": table.name,
                "path": csv_path(table),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": len(data),
                "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
                **common,
                "schema": _schema(table),
            }
        )
    for table in tables:
        resources.append(
            {
                "name": f"{table.name}-xlsx",
                "path": xlsx_path(about),
                "profile": "tabular-data-resource",
                "format": "xlsx",
                "mediatype": XLSX_MEDIATYPE,
                "dialect": {"excel": {"sheet": table.name}},  # Frictionless' control: Table Dialect v1 has none
                "title": words("donnees_ouvertes.paquet.ressource_classeur", titre=table.title, feuille=table.name),
                "description": table.description,
                "schema": _schema(table),
            }
        )
    sources = [{"title": about.agency, **({"path": about.website} if about.website else {})}]
    edition = {"titre": about.title, "region": about.region_name}
    sources.append({"title": words("donnees_ouvertes.paquet.source_brochure", **edition, revision=about.revision)})
    return {
        "profile": "tabular-data-package",
        "name": about.name,
        "title": words("donnees_ouvertes.paquet.titre", **edition),
        "description": words("donnees_ouvertes.paquet.description", **edition, revision=about.revision),
        "version": f"{about.year}.{about.revision}",
        "created": about.created.isoformat(timespec="seconds"),
        "licenses": [{**LICENCE, "title": words("donnees_ouvertes.paquet.licence")}],
        "sources": sources,
        "contributors": [{"title": about.agency, "role": "publisher"}],
        "keywords": [*word_list("donnees_ouvertes.paquet.mots_cles"), about.region_name, str(about.year)],
        "resources": resources,
    }


def build_package(tables: Sequence[Table], about: About) -> bytes:
    """The zip: datapackage.json first, the CSV files in table order, then the workbook."""
    csv_files = [table_csv(t) for t in tables]
    meta = json.dumps(descriptor(tables, csv_files, about), ensure_ascii=False, indent=2) + "\n"
    entries = [(DESCRIPTOR, meta.encode("utf-8"))]
    entries += [(csv_path(t), data) for t, data in zip(tables, csv_files, strict=True)]
    entries.append((xlsx_path(about), tables_xlsx(tables, about)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(_entry(name, about.created), data)
    return buffer.getvalue()


def edition_package(edition: Edition, prepared: Prepared, revision: int, created: dt.datetime) -> bytes:
    """The package of one revision of an edition, from its validated tables and prepared figures."""
    meta = edition.meta
    tables = package_tables(
        edition.tables, prepared.figures, prepared.catalogue, meta.year, meta.subset_title, meta.subset_exclude
    )
    about = About(meta.region, meta.region_name, meta.year, meta.title, meta.agency, meta.website, revision, created)
    return build_package(tables, about)
