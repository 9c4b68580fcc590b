"""The guiding workbook filled in as a person would, then saved by LibreOffice (headless): its formulas computed
and their values stored in the file, as Excel or LibreOffice saves them on a desk.

`fill` types values into cells with openpyxl (which keeps the workbook's formulas but never computes them);
`save_with_libreoffice` opens each workbook in LibreOffice and saves it as .xlsx, with a LibreOffice profile
of its own per call, so that tests running side by side (pytest-xdist) never share one; `typed_as_before`
gives, for every cell still to fill in a workbook made by `fir workbook`, the figure of the earlier edition
written beside it « pour mémoire » (and each text cell without its « à réécrire » mark): what the finance
staff would type when a year repeats the last.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from flows.edition.authoring.markers import is_marked_cell, is_to_type
from flows.edition.ingest.xlsx_cells import REFERENCE_TITLE, column_name, helper_header

SOFFICE = shutil.which("soffice")
_MARK = re.compile(r"^\s*\[[^\]]*\]\s*")  # the « [À RÉÉCRIRE, texte de 2024] » a text cell starts with


@dataclass(frozen=True)
class Typed:
    """A value typed into a cell, and the number format it is shown with (None: the cell's own)."""

    value: object
    number_format: str | None = None


Cells = Mapping[tuple[str, str], object]  # (sheet, coordinate « K4 ») → a value, or a Typed


def fill(workbook: bytes, cells: Cells) -> bytes:
    """The workbook with `cells` typed in (its formulas kept, not computed: save it with LibreOffice after)."""
    book = load_workbook(io.BytesIO(workbook))
    for (sheet, coordinate), typed in cells.items():
        cell = book[sheet][coordinate]
        if isinstance(typed, Typed):
            cell.value = typed.value
            if typed.number_format is not None:
                cell.number_format = typed.number_format
        else:
            cell.value = typed
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cell_of(workbook: bytes, sheet: str, row: int, column: str) -> str:
    """The coordinate (« K4 ») of a table's column, by the contract's name its header ends with, at `row`."""
    header = next(load_workbook(io.BytesIO(workbook), read_only=True)[sheet].iter_rows(max_row=1, values_only=True))
    names = [column_name(str(text or "")) for text in header]
    return f"{get_column_letter(names.index(column) + 1)}{row}"


def typed_as_before(workbook: bytes) -> dict[tuple[str, str], object]:
    """Every cell still to fill (`?`, empty with a figure beside it « Pour mémoire »), typed with that figure in
    the number format it was shown with (without its unit); every text cell marked « à réécrire », unmarked."""
    book = load_workbook(io.BytesIO(workbook))
    typed: dict[tuple[str, str], object] = {}
    for sheet in book.worksheets[1:]:
        header = [str(cell.value or "") for cell in sheet[1]]
        for index, title in enumerate(header[1:], start=1):
            if not title.startswith(REFERENCE_TITLE) or helper_header(header[index - 1]):
                continue
            for row in range(2, sheet.max_row + 1):
                target, reference = sheet.cell(row, index), sheet.cell(row, index + 1)
                if reference.value is not None and (target.value is None or is_to_type(str(target.value))):
                    shown = reference.number_format.split('"')[0] or None  # « #,##0.0" M€" » → « #,##0.0 »
                    typed[(sheet.title, target.coordinate)] = Typed(reference.value, shown)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and is_marked_cell(cell.value):
                    typed[(sheet.title, cell.coordinate)] = _MARK.sub("", cell.value, count=1)
    return typed


def save_with_libreoffice(workbooks: Mapping[str, bytes]) -> dict[str, bytes]:
    """Each workbook (by file name, `….xlsx`) opened and saved as .xlsx by LibreOffice headless, in one start
    with a profile of its own: the bytes of the files it saved, by the same names."""
    assert SOFFICE is not None, "LibreOffice (soffice) is not installed: run scripts/setup.sh"
    with tempfile.TemporaryDirectory(prefix="fir-office-") as folder:
        work = Path(folder)
        sources, saved, profile = work / "in", work / "out", work / "profile"
        sources.mkdir()
        for name, data in workbooks.items():
            (sources / name).write_bytes(data)
        subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--calc",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(saved),
                *(str(sources / name) for name in workbooks),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        missing = [name for name in workbooks if not (saved / name).is_file()]
        assert not missing, f"LibreOffice did not save {missing}"
        return {name: (saved / name).read_bytes() for name in workbooks}
