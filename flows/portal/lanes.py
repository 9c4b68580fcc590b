"""The editors' pages' one door to the pure functions they show: the safety checks of an uploaded file and
the Word import (flows/edition/authoring/upload_checks.py, the Word reader), the check of an uploaded
workbook or CSV table against a copy of the edition (upload_tables.py), and the differences between two
input versions (input_diff.py). Each is looked up here only, so a page says plainly when the installation
lacks one instead of failing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

MISSING = (
    "cette fonction n'est pas disponible sur ce portail (mise à jour du service nécessaire) : rien n'a été enregistré"
)
NO_DIFF = "la comparaison des versions n'est pas disponible sur ce portail (mise à jour du service nécessaire)"


class Missing(Exception):
    """The installation lacks the module a page needs."""


def _module(name: str, missing: str = MISSING) -> ModuleType:
    try:
        return importlib.import_module(f"flows.edition.authoring.{name}")
    except ImportError:
        raise Missing(missing) from None


def refusal_type() -> type[Exception]:
    """The refusal of an uploaded file (a class no request raises when the checks are absent)."""
    try:
        found: type[Exception] = _module("upload_refusal").UploadRefused
        return found
    except Missing:
        return Missing


def check_upload(name: str, data: bytes, kind: str) -> Any:
    """The file when it is safe to read as `kind` (xlsx, csv, docx, md, image); UploadRefused otherwise."""
    return _module("upload_checks").check_upload(name, data, kind)


def check_workbook(inputs: Path, region: str, year: int, name: str, data: bytes, published: Any) -> Any:
    """The report of an uploaded workbook (TablesUpload: accepted, located items, the files to write)."""
    return _module("upload_tables").check_workbook(inputs, region, year, name, data, published=published)


def check_table_csv(inputs: Path, region: str, year: int, table: str, name: str, data: bytes, published: Any) -> Any:
    return _module("upload_tables").check_table_csv(inputs, region, year, table, name, data, published=published)


PART = "partie:"  # a Word import's target naming a whole part (`partie:p2`), else a text's name under texts/


@dataclass(frozen=True)
class Line:
    text: str


@dataclass(frozen=True)
class WordReport:
    """A Word import as the files page shows it: what was imported, what was not, the files to write."""

    accepted: bool
    summary: str
    notes: tuple[Line, ...]
    changes: dict[str, bytes | None] = field(default_factory=dict)


def import_word(inputs: Path, region: str, year: int, target: str, name: str, data: bytes) -> WordReport:
    """A Word document as the edition's text `target` (its name under texts/), or as a whole part
    (`partie:<id>`) split by its headings into the part's introduction and actions; UploadRefused when
    nothing can be imported."""
    module = _module("docx_import")
    folder = inputs / region / str(year)
    if target.startswith(PART):
        targets = module.edition_part_targets(folder, inputs, target.removeprefix(PART))
        current = {t.path: _read(folder / t.path) for t in targets if (folder / t.path).is_file()}
        found = module.import_part(name, data, targets, current)
    else:
        path = f"texts/{target}"
        now = _read(folder / path) if (folder / path).is_file() else None
        found = module.import_text(name, data, path, now, _title(module, folder, inputs, path))
    changes: dict[str, bytes | None] = {f"{region}/{year}/{t.path}": t.content.encode("utf-8") for t in found.texts}
    imported = ", ".join(t.path.removeprefix("texts/") for t in found.texts)
    summary = f"Document « {found.source} » importé dans {len(found.texts)} texte(s) : {imported}."
    return WordReport(True, summary, tuple(Line(line) for line in found.report()), changes)


def _title(module: ModuleType, folder: Path, inputs: Path, path: str) -> str | None:
    """The title the brochure prints above a part's or an action's text (a document opening with it loses
    that heading rather than print it twice); None for another text."""
    from flows.edition.ingest.snapshot import read_raw_tables

    if not path.startswith(("texts/actions/", "texts/parts/")):
        return None
    raws, _, _ = read_raw_tables(folder, inputs)
    parts = raws.get("parts")
    if parts is None:
        return None
    for row in parts.rows:
        part_id = dict(zip(parts.header, row, strict=False)).get("part_id", "")
        for found in module.edition_part_targets(folder, inputs, part_id) if part_id else []:
            if found.path == path:
                return str(found.title)
    return None


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def diff_inputs(old: dict[str, bytes], new: dict[str, bytes]) -> Any:
    """The differences between two versions' files (InputDiff: cells, texts, settings, other files)."""
    return _module("input_diff", NO_DIFF).diff_inputs(old, new)


def file_diff(path: str, old: bytes | None, new: bytes | None) -> Any | None:
    """One file's differences (a save refused because someone saved first: theirs → yours), None when the
    installation cannot compare."""
    try:
        module = _module("input_diff", NO_DIFF)
    except Missing:
        return None
    return module.diff_file(path, old, new) if hasattr(module, "diff_file") else None
