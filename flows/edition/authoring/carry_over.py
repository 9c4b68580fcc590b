"""The files of a new edition made from the previous one (`fir new`): same structure, amounts to type,
texts marked to be rewritten. Pure: an edition as read in, file names and bytes out.

- `edition.toml`: the year, and the year in its texts (the title), moved on; any other year or date it
  holds is flagged with a comment to check; `carried_from` records the edition it was made from (what
  `fir check` compares it with: validate/carried_over.py);
- every figure table keeps its rows and their ids, kinds, labels, units, missions and parts; its amounts
  are left to type: empty where the contract needs a number, `?` where an empty cell would mean "not
  applicable" and the previous edition had a figure (a budget stage, a published rate);
- `revenue.previous_year` is the previous edition's final revenue of the same line, as it was typed;
- the published shares and headings of `thematics` are left out: a new edition has not been printed;
- the texts (Markdown files; part and action titles, key figures' details, any cell naming a year) are
  copied with the "to be rewritten" mark (authoring/markers.py), the previous text as a starting point.
Tables aggregated from a line-level ledger are not carried over: the ledger is the year's own.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping

from flows.edition.authoring.markers import TO_TYPE, mark_cell, text_mark
from flows.edition.contract import TABLES, Column, RawTable
from flows.edition.ingest.meta import META_FILE
from flows.edition.ingest.snapshot import Edition
from flows.edition.validate.carried_over import DECLARED_KEY

_NUMBERS = ("amount", "number", "pct", "headline")
# Text cells that tell the year's story, rewritten every year.
NARRATIVE = {("parts", "title"), ("actions", "title"), ("key_figures", "detail")}
# Columns that only a printed edition has.
LEFT_OUT = {"thematics": ("published_share_pct", "published_headline")}
_A_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_A_DATE = re.compile(r"\b\d{4}-\d\d-\d\d\b")


def carry_over(edition: Edition, raws: Mapping[str, RawTable], year: int) -> dict[str, bytes]:
    """The new edition's files (path inside its folder → bytes), from `edition` and its tables as text
    cells (`raws`, as read from its CSV files or workbook). Tables are written as `;`-separated UTF-8 CSV."""
    source_year = edition.meta.year
    prefix = f"{edition.meta.region}/{source_year}/"
    by_source = {file.source: file for file in edition.files}
    files: dict[str, bytes] = {}
    meta = by_source[prefix + META_FILE].data.decode("utf-8-sig")
    files[META_FILE] = new_meta(meta, source_year, year).encode("utf-8")
    for name in TABLES:
        if name in raws:
            header, rows = new_table(raws[name], source_year)
            files[f"{name}.csv"] = as_csv(header, rows)
    for text in edition.texts.values():
        raw = by_source[text.source].data.decode("utf-8-sig")
        files[text.source.removeprefix(prefix)] = marked_text(raw, text.body_line, source_year, year).encode("utf-8")
    if edition.meta.logo is not None:
        logo = edition.meta.logo.file
        files[logo.source.removeprefix(prefix)] = logo.data
    return files


def new_table(raw: RawTable, source_year: int) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a table carried over: the contract's columns the source has (plus
    `previous_year` for revenue), in the contract's order."""
    header = [h.strip() for h in raw.header]
    spec = TABLES[raw.name]
    wanted = set(header) | ({"previous_year"} if raw.name == "revenue" else set())
    columns = [c for c in spec.columns if c.name in wanted and c.name not in LEFT_OUT.get(raw.name, ())]
    rows = []
    for row in raw.rows:
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        rows.append([_carried(raw.name, column, cells, source_year) for column in columns])
    return [c.name for c in columns], rows


def _carried(table: str, column: Column, cells: Mapping[str, str], source_year: int) -> str:
    text = cells.get(column.name, "")
    if table == "revenue" and column.name == "previous_year":
        return cells.get("final", "")  # last year's final revenue, in the row's unit, as typed
    if column.kind in _NUMBERS:
        return TO_TYPE if column.nullable and text else ""
    if column.kind == "text" and ((table, column.name) in NARRATIVE or _A_YEAR.search(text)):
        return mark_cell(text, source_year)
    return text


def as_csv(header: list[str], rows: list[list[str]]) -> bytes:
    """`;`-separated UTF-8 CSV, what French Excel writes as "CSV UTF-8" and the reader reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def marked_text(raw: str, body_line: int, source_year: int, year: int) -> str:
    """A Markdown text with the "to be rewritten" mark as the first line of its body (after any front
    matter, which stays a front matter)."""
    lines = raw.splitlines(keepends=True)
    at = min(max(body_line - 1, 0), len(lines))
    return "".join([*lines[:at], text_mark(source_year, year) + "\n\n", *lines[at:]])


def new_meta(text: str, source_year: int, year: int) -> str:
    """edition.toml for `year`: the year and the texts naming the previous year moved on, any other
    year or date flagged; a first comment says where the edition comes from."""
    out = [
        f"# Édition {year} créée par « fir new » à partir de l'édition {source_year} : "
        "« fir check » liste ce qui reste à compléter.\n",
        # The edition it was made from: `fir check` lists what is still that edition's, to confirm.
        f"{DECLARED_KEY} = {source_year}  # ce qui reste tel qu'en {source_year} est à relire et confirmer\n",
    ]
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body) :] or "\n"
        if re.match(rf"^\s*{DECLARED_KEY}\s*=", body):
            continue  # the source's own starting point is not this edition's
        if body.lstrip().startswith("#") or not body.strip():
            out.append(line)
            continue
        body = body.replace(str(source_year), str(year))
        others = [y for y in _A_YEAR.findall(body) if y != str(year)] + _A_DATE.findall(body)
        if others and '"""' not in body and "'''" not in body:
            body += f"  # À VÉRIFIER (fir new) : {', '.join(others)} vient de l'édition {source_year}"
        out.append(body + ending)
    return "".join(out)
