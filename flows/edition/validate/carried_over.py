"""What an edition made from an earlier one still carries over unchanged: the items a person must
re-read and confirm before the brochure is approved.

An edition copied from last year's (by `fir new`, or by copying its folder) passes every other check
while its texts tell last year's story (« Fin 2024, 279 MSP sont reconnues » in 2025). This module lists,
from the two editions as read (pure, no file opened):

- every text whose wording is unchanged since the earlier edition (the whole text, or each unchanged
  paragraph), and every unchanged narrative cell (part and action titles, key figures' details);
- every number typed in a text or a narrative cell (not a `[[figure]]`): amounts, counts, percentages,
  dates and years;
- every year earlier than the edition's named in prose, in a table's text cell (a narrative cell, a label,
  a legal reference) or in an `edition.toml` title;
- every table whose figures are all identical to the earlier edition's.

Each item has a stable key — kind, file, the paragraph or row it stands in, a hash of its content — so a
confirmation (validate/confirmations.py) sticks to what was confirmed and lapses when it changes.

**Which edition is the earlier one**: the year `edition.toml` declares with `carried_from` (what `fir new`
writes), else the same region's edition of the year just before, when the inputs folder holds it. Nothing
else: an edition six years older (2018 for 2024) is not a starting point, and a first edition has none.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from flows.edition.contract import TABLES
from flows.edition.ingest.meta import META_FILE
from flows.edition.ingest.snapshot import Edition
from flows.edition.labels import TABLE_NAMES

DECLARED_KEY = "carried_from"
TEXT, PARAGRAPH, CELL, NUMBER, YEAR, TABLE = "text", "paragraph", "cell", "number", "year", "table"
# Text cells that tell the year's story (the same as `fir new` marks to be rewritten).
NARRATIVE_CELLS = {
    "parts": ("part_id", "title"),
    "actions": ("action_id", "title"),
    "key_figures": ("action_id", "detail"),
}
_FIGURE_KINDS = ("amount", "pct", "number", "headline")
_REFERENCE = re.compile(r"\[\[[^\]]*\]\]")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_SPACES = "  \u202f"
# A number as a reader sees it: `279`, `3 010`, `2,9 M€`, `99,1 %`, `4e`; never the digits of a word
# (`COVID-19`, `H1N1`), a year range's second year included (`2023-2028`).
NUMBER_PATTERN = re.compile(
    rf"(?<![\w.,/])(?<![^\W\d_]-)(?:\d{{1,3}}(?:[{_SPACES}]\d{{3}})+|\d+)(?:[.,]\d+)?(?!\d)"
    rf"(?:[{_SPACES}]?(?:%|€|k€|M€|Md€)|(?:er|re|e|ème)(?!\w))?"
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_WORD_BEFORE = re.compile(r"(\S+)[ \t]*$")


@dataclass(frozen=True)
class Item:
    """One thing to re-read and confirm."""

    kind: str  # TEXT, PARAGRAPH, CELL, NUMBER, YEAR or TABLE
    source: str  # the file, relative to inputs/ (hauts-de-france/2025/texts/actions/p2-msp.md)
    line: int | None  # its line in the file (none for a whole table)
    value: str  # what to re-read: the number, « Fin 2024 », the start of the text, the table's title
    key: str  # kind, file, paragraph or row, content hash: a confirmation holds while this is the same
    # The keys its confirmation vouches for too: a whole text's paragraphs, so that once one paragraph is
    # rewritten the others, confirmed with the text, are not listed again.
    covers: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        found: dict[str, object] = {
            "kind": self.kind,
            "source": self.source,
            "line": self.line,
            "value": self.value,
            "key": self.key,
        }
        if self.covers:
            found["covers"] = list(self.covers)
        return found

    @staticmethod
    def from_json(data: Mapping[str, object]) -> Item:
        line, covers = data.get("line"), data.get("covers")
        return Item(
            str(data["kind"]),
            str(data["source"]),
            line if isinstance(line, int) else None,
            str(data.get("value", "")),
            str(data["key"]),
            tuple(str(c) for c in covers) if isinstance(covers, list) else (),
        )


@dataclass(frozen=True)
class CarriedOver:
    """The earlier edition an edition was made from, and what it still carries over unchanged."""

    earlier_year: int
    items: tuple[Item, ...]
    note: str = ""  # why nothing could be compared (a declared edition absent or unreadable)


def declared_year(edition: Edition) -> int | None:
    """The year `edition.toml` names with `carried_from` (written by `fir new`), if any."""
    source = f"{edition.meta.region}/{edition.meta.year}/{META_FILE}"
    meta = next((f for f in edition.files if f.source == source), None)
    if meta is None:
        return None
    try:
        value = tomllib.loads(meta.data.decode("utf-8-sig")).get(DECLARED_KEY)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def earlier_year(year: int, declared: int | None, available: Iterable[int]) -> int | None:
    """The edition to compare with: the declared one (even absent: the caller says so), else `year - 1`
    when the region has it; None for an edition made from nothing (a first edition, 2018, 2024)."""
    if declared is not None and declared < year:
        return declared
    return year - 1 if year - 1 in set(available) else None


def find_carried_over(edition: Edition, earlier: Edition) -> tuple[Item, ...]:
    """Every item of `edition` to confirm against `earlier`, file by file, in reading order."""
    year = edition.meta.year
    items: list[Item] = []
    items += identical_tables(edition, earlier)
    earlier_paragraphs = {_normal(p) for text in earlier.texts.values() for _, p in paragraphs(text.body, 1)}
    for key in sorted(edition.texts, key=lambda k: edition.texts[k].source):
        text = edition.texts[key]
        before = earlier.texts.get(key)
        whole = before is not None and _normal(before.body) == _normal(text.body) and text.body.strip() != ""
        blocks = paragraphs(text.body, text.body_line)
        if whole:
            key_ = _key(TEXT, text.source, text.body)
            covers = tuple(_key(PARAGRAPH, text.source, paragraph) for _, paragraph in blocks)
            items.append(Item(TEXT, text.source, text.body_line, _excerpt(text.body), key_, covers))
        for line, paragraph in blocks:
            if not whole and _normal(paragraph) in earlier_paragraphs:
                key_ = _key(PARAGRAPH, text.source, paragraph)
                items.append(Item(PARAGRAPH, text.source, line, _excerpt(paragraph), key_))
            items += numbers(paragraph, text.source, line, year)
    items += narrative_cells(edition, earlier)
    items += table_years(edition)
    items += meta_years(edition)
    return tuple(_unique(items))


def paragraphs(body: str, first_line: int) -> list[tuple[int, str]]:
    """The body's paragraphs with their file line: blocks between blank lines, each list item its own."""
    found: list[tuple[int, list[str]]] = []
    previous_blank = True
    for offset, line in enumerate(body.split("\n")):
        if not line.strip():
            previous_blank = True
            continue
        if previous_blank or _LIST_ITEM.match(line):
            found.append((first_line + offset, [line]))
        else:
            found[-1][1].append(line)
        previous_blank = False
    return [(line, "\n".join(lines)) for line, lines in found]


def numbers(paragraph: str, source: str, first_line: int, year: int, salt: str = "") -> list[Item]:
    """Every number typed in a paragraph (not a `[[figure]]`, not a list's marker), with its line; a year
    before `year` is a YEAR item shown with the word before it (« Fin 2024 »). `salt`: what tells apart
    two equal paragraphs of one file (a table cell's row and column)."""
    hidden = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), paragraph)
    hidden = _REFERENCE.sub(lambda m: " " * len(m.group(0)), hidden)
    hidden = "\n".join(_LIST_ITEM.sub(lambda m: " " * len(m.group(0)), line) for line in hidden.split("\n"))
    items: list[Item] = []
    seen: dict[str, int] = {}
    for match in NUMBER_PATTERN.finditer(hidden):
        token = match.group(0)
        line = first_line + hidden.count("\n", 0, match.start())
        occurrence = seen.get(token, 0)
        seen[token] = occurrence + 1
        anchor = f"{_digest(salt + paragraph)}|{occurrence}|{token}"
        if _YEAR.match(token) and int(token) < year:
            before = _WORD_BEFORE.search(paragraph[: match.start()].split("\n")[-1])
            word = before.group(1) if before else ""
            shown = f"{word}{token}" if word.endswith(("-", "–")) or not word else f"{word} {token}"
            items.append(Item(YEAR, source, line, shown, f"{YEAR}|{source}|{anchor}"))
        else:
            items.append(Item(NUMBER, source, line, _spaced(token), f"{NUMBER}|{source}|{anchor}"))
    return items


def narrative_cells(edition: Edition, earlier: Edition) -> list[Item]:
    """Part and action titles and key figures' details: unchanged ones, and the numbers they type."""
    year = edition.meta.year
    items: list[Item] = []
    for table, (id_column, column) in NARRATIVE_CELLS.items():
        frame, before = edition.tables.get(table), earlier.tables.get(table)
        rows: list[tuple[object, ...]] = []
        if frame is not None and column in frame.columns:
            rows = list(frame.select("_line", id_column, column).iter_rows())
        old: dict[tuple[object, int], str] = {}
        if before is not None and column in before.columns:
            counts: dict[object, int] = {}
            for ident, cell in before.select(id_column, column).iter_rows():
                counts[ident] = counts.get(ident, 0) + 1
                old[(ident, counts[ident])] = _normal(str(cell or ""))
        counts = {}
        source = edition.sources.get(table, f"{table}.csv")
        for line, ident, cell in rows:
            counts[ident] = counts.get(ident, 0) + 1
            text = str(cell or "").strip()
            if not text:
                continue
            assert isinstance(line, int)
            if old.get((ident, counts[ident])) == _normal(text):
                items.append(Item(CELL, source, line, text, _key(CELL, source, f"{ident}|{column}|{text}")))
            items += numbers(text, source, line, year, f"{ident}|{column}|")
    return items


def table_years(edition: Edition) -> list[Item]:
    """The years before the edition's named in the tables' other text cells (labels, legal references:
    « Notification 2018 », « Arrêté du 22 juin 2018 »)."""
    items: list[Item] = []
    for name, spec in TABLES.items():
        frame = edition.tables.get(name)
        if frame is None:
            continue
        narrative = NARRATIVE_CELLS.get(name, ("", ""))[1]
        columns = [c.name for c in spec.columns if c.kind == "text" and c.name in frame.columns and c.name != narrative]
        source = edition.sources.get(name, f"{name}.csv")
        for column in columns:
            for line, cell in frame.select("_line", column).iter_rows():
                text = str(cell or "")
                if text and isinstance(line, int):
                    found = numbers(text, source, line, edition.meta.year, f"{line}|{column}|")
                    items += [item for item in found if item.kind == YEAR]
    return items


def meta_years(edition: Edition) -> list[Item]:
    """The years before the edition's named in `edition.toml`'s titles (`title`, `[thematic_subset] title`)."""
    source = f"{edition.meta.region}/{edition.meta.year}/{META_FILE}"
    meta = next((f for f in edition.files if f.source == source), None)
    if meta is None:
        return []
    items: list[Item] = []
    for offset, line in enumerate(meta.data.decode("utf-8-sig").splitlines()):
        found = re.match(r"^\s*title\s*=\s*(.*)$", line)
        if not found:
            continue
        value = found.group(1).split("#")[0].strip().strip("\"'")
        years = [item for item in numbers(value, source, offset + 1, edition.meta.year) if item.kind == YEAR]
        items += [dataclasses.replace(item, value=value) for item in years]
    return items


def identical_tables(edition: Edition, earlier: Edition) -> list[Item]:
    """Every figure table whose figures (amounts, rates, shares, counts, with their units) are all the
    earlier edition's, row for row."""
    items: list[Item] = []
    for name, spec in TABLES.items():
        frame, before = edition.tables.get(name), earlier.tables.get(name)
        if frame is None or before is None:
            continue
        columns = [c.name for c in spec.columns if c.kind in _FIGURE_KINDS and c.name in frame.columns]
        if not columns:
            continue
        shown = [*columns, *(["unit"] if "unit" in frame.columns else [])]
        if not all(column in before.columns for column in shown):
            continue
        rows, old = _figures(frame, shown), _figures(before, shown)
        if rows == old and any(value is not None for row in rows for value in row):
            source = edition.sources.get(name, f"{name}.csv")
            title = TABLE_NAMES.get(name, name)
            items.append(Item(TABLE, source, None, title, _key(TABLE, source, repr(rows))))
    return items


def _figures(frame: pl.DataFrame, columns: Sequence[str]) -> list[tuple[object, ...]]:
    return [tuple(str(v) if v is not None else None for v in row) for row in frame.select(columns).iter_rows()]


def _unique(items: Iterable[Item]) -> list[Item]:
    seen: set[str] = set()
    found = []
    for item in items:
        if item.key not in seen:
            seen.add(item.key)
            found.append(item)
    return found


def _normal(text: str) -> str:
    return " ".join(_COMMENT.sub(" ", text).split())


def _digest(text: str) -> str:
    return hashlib.sha256(_normal(text).encode("utf-8")).hexdigest()[:16]


def _key(kind: str, source: str, content: str) -> str:
    return f"{kind}|{source}|{_digest(content)}"


def _excerpt(text: str, length: int = 90) -> str:
    flat = _normal(" ".join(_LIST_ITEM.sub("", line) for line in text.split("\n")))
    return flat if len(flat) <= length else flat[: length - 1].rsplit(" ", 1)[0] + "…"


def _spaced(token: str) -> str:
    """A number as shown: the spaces it was typed with made narrow no-break (French convention)."""
    return re.sub(r"[  ]", "\u202f", token)


def read_earlier(inputs: Path, edition: Edition) -> CarriedOver | None:
    """The earlier edition of `edition` (see the module's rule) and the items to confirm; None when the
    edition was made from nothing. Reads the earlier edition from `inputs` (its texts are needed)."""
    from flows.edition.errors import InputError
    from flows.edition.ingest.snapshot import list_editions, read_edition

    region, year = edition.meta.region, edition.meta.year
    declared = declared_year(edition)
    available = [y for r, y in list_editions(inputs) if r == region] if inputs.is_dir() else []
    start = earlier_year(year, declared, available)
    if start is None:
        return None
    if start not in available:
        return CarriedOver(
            start,
            (),
            f"l'édition de départ {region} {start} ({DECLARED_KEY} dans edition.toml) "
            f"n'est pas dans le dossier des données : rien n'a pu être comparé",
        )
    try:
        earlier = read_edition(inputs, region, start, allow_incomplete=True)
    except InputError as exc:
        reason = exc.problems[0] if exc.problems else "édition illisible"
        return CarriedOver(start, (), f"l'édition {start} n'a pas pu être lue ({reason}) : rien n'a pu être comparé")
    return CarriedOver(start, find_carried_over(edition, earlier))
