"""The editors' pages' one door to the pure functions they show: the safety checks of an uploaded file and
the Word import (flows/edition/authoring/upload_checks.py, the Word reader), the check of an uploaded
workbook or CSV table against a copy of the edition (upload_tables.py), and the differences between two
input versions (input_diff.py). Each is looked up here only, so a page says plainly when the installation
lacks one instead of failing.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

MISSING = (
    "cette fonction n'est pas disponible sur ce portail (mise à jour du service nécessaire) : rien n'a été enregistré"
)


class Missing(Exception):
    """The installation lacks the module a page needs."""


def _module(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"flows.edition.authoring.{name}")
    except ImportError:
        raise Missing(MISSING) from None


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


def import_word(inputs: Path, region: str, year: int, target: str, name: str, data: bytes) -> Any:
    """A Word document as the edition's text(s): one text, or a part split by its headings."""
    module = _module("docx_import")
    return module.import_docx(inputs, region, year, target, name, data)


def diff_inputs(old: dict[str, bytes], new: dict[str, bytes]) -> Any:
    """The differences between two versions' files (InputDiff: cells, texts, settings, other files)."""
    return _module("input_diff").diff_inputs(old, new)
