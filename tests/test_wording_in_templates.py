"""The reader's wording is the templates' (issue 25): no French phrase printed in the brochure, its web edition
or the open-data package is a string literal of the Python code (flows/**/*.py).

The phrases are read from real outputs of both real editions, made by the build's own pure functions: the
brochure's HTML (with its charts, their alternative texts and the words drawn in them, and an erratum naming
every figure the edition prints), the web edition (charts for phones included), the data package
(datapackage.json, the CSV files, the workbook's comments and title), the marked draft's mark, the
archival copy's description of its attachments and the print file's printing condition. Then
every string literal of flows/ (f-strings and `str.format` templates as patterns, their values any text) is
looked for among them.
"""

from __future__ import annotations

import ast
import base64
import csv
import datetime as dt
import io
import json
import re
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest

from flows import paths
from flows.edition.ingest import snapshot as ingest
from flows.edition.opendata.package import edition_package
from flows.edition.prepare import prepare
from flows.edition.publish import revisions
from flows.edition.publish.record import Change, Revision
from flows.edition.render import assemble, draft_mark, print_file, web
from flows.edition.render.context import build_context
from flows.edition.render.html import render_html
from tests.conftest import REGION
from tests.helpers import draw_charts

FLOWS = paths.PROJECT_ROOT / "flows"
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_WORD = re.compile(r"[^\W\d_]{2,}")  # a word: two letters or more
_SVG_URI = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")
_ATTRIBUTES = {"alt", "aria-label", "title", "data-label", "content"}


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


class _Texts(HTMLParser):
    """Every text node and reader-facing attribute of an HTML or SVG document, SVG images inside it too."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        for name, value in attrs:
            if value and name in _ATTRIBUTES:
                self.found.append(value)
            for uri in _SVG_URI.findall(value or ""):
                self.found += html_texts(base64.b64decode(uri).decode("utf-8"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append(data)


def html_texts(page: str) -> list[str]:
    parser = _Texts()
    parser.feed(page)
    parser.close()
    return parser.found


def package_texts(package: bytes) -> list[str]:
    """The data package's words: the descriptor's strings, the CSV files' cells (headers included), the
    workbook's comments (each column's title and description) and properties."""
    found: list[str] = []
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name == "datapackage.json":
                found += list(_strings(json.loads(data)))
            elif name.endswith(".csv"):
                found += [cell for row in csv.reader(io.StringIO(data.decode("utf-8"))) for cell in row]
            elif name.endswith(".xlsx"):
                with zipfile.ZipFile(io.BytesIO(data)) as workbook:
                    for member in workbook.namelist():
                        if member.startswith(("xl/comments", "docProps/")):
                            found += re.findall(r">([^<]+)<", workbook.read(member).decode("utf-8"))
    return [line for text in found for line in text.split("\n")]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def pdf_texts() -> list[str]:
    """What the PDF files add to the brochure's pages (one blank A4 page stands for them): the marked copy's
    mark across the page, the archival copy's description of the data attached to it, the print file's
    printing condition."""
    blank = pikepdf.new()
    blank.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    blank.save(out)
    marked = draft_mark.mark_draft(out.getvalue())
    text = subprocess.run(["pdftotext", "-", "-"], input=marked, capture_output=True, check=True).stdout
    archive = assemble.archival_copy(
        out.getvalue(), [("revenue.csv", b"line_id\n")], dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    )
    with pikepdf.open(io.BytesIO(archive)) as pdf:
        described = [spec.description for spec in pdf.attachments.values()]
        intent = print_file.output_intent(pdf, paths.PRINT_PROFILE.read_bytes())  # the print file's
        described.append(str(intent.OutputCondition))
    return text.decode("utf-8").splitlines() + described


def edition_texts(year: int) -> list[str]:
    """The phrases a reader of one real edition reads, in its brochure, web edition and data package."""
    snapshot = ingest.read_snapshot(paths.INPUTS_DIR, REGION, year)
    edition, prepared = snapshot.edition, prepare(snapshot)
    charts = draw_charts(edition, prepared.figures)
    # an erratum naming every figure the edition prints: each label a correction can print
    labels = revisions.figure_labels(edition.tables, list(prepared.catalogue))
    erratum = tuple(Change(name, label, "1", "2") for name, label in labels.items())
    # the reason the annual run records when it corrects a published edition (« Motif : … »)
    published = {"revision": 1, "inputs_digest": "-", "status": "published", "reason": "-", "published_at": "-"}
    decision = revisions.decide({"revisions": [published]}, edition.checksums, None, revisions.SCHEDULED)
    revision = Revision(decision.revision, decision.reason, erratum, 1)
    url = "https://fir.exemple.fr/hauts-de-france/2024/"
    brochure = render_html(build_context(edition, prepared, charts, revision, url), paths.TEMPLATES_DIR)
    font = (paths.FONTS_DIR / "Inter-Regular.otf").read_bytes()
    page = web.web_edition(edition, prepared, charts, revision, url, "fir.pdf", paths.TEMPLATES_DIR, font)
    package = edition_package(edition, prepared, 2, dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC))
    return html_texts(brochure) + html_texts(page) + package_texts(package)


def french_phrases(texts: list[str]) -> set[str]:
    """The texts that are phrases: two words or more (figures, single-word headings and codes left out)."""
    return {text for text in map(_normal, texts) if _words(text) >= 2}


# --- the literals of the code ------------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# Words of the staff's tools that readers read too: command-line messages (which may stay in code) naming a
# figure as a table heads it, and the input tables' French names for the people who fill them in (the
# workbook's guide and headers, `fir check`), some of which are the labels typed in the inputs or a title
# of the brochure. Each pair by its exact text: any other literal of these files is still looked for.
SAME_WORDS_ELSEWHERE = {
    ("flows/edition/validate/reconcile.py", "CP exécutés"),  # `fir check`: « CP exécutés 1 € ≠ … »
    ("flows/edition/authoring/workbook_guide.py", "AE et CP par mission du FIR"),  # the workbook's guide
    ("flows/edition/labels.py", "Dépenses par mission"),  # the input tables' names (labels.TABLE_NAMES)
    ("flows/edition/labels.py", "Montants des actions"),
    ("flows/edition/labels.py", "Identifiant de la ligne"),  # their columns' titles (labels.COLUMN_TITLES)
    ("flows/edition/labels.py", "Identifiant de la thématique"),
    ("flows/edition/labels.py", "Montant exécuté dans l'année"),
    ("flows/edition/labels.py", "Crédits ouverts au dernier budget rectificatif"),
    ("flows/edition/labels.py", "Autorisations d'engagement"),  # the execution table's labels, as typed
    ("flows/edition/labels.py", "Crédits de paiement"),
}


@dataclass(frozen=True)
class Literal:
    """A string literal of flows/: its constant pieces, a hole (None) for each value an f-string or a
    `str.format` template puts between them."""

    file: str
    line: int
    parts: tuple[str | None, ...]

    @property
    def text(self) -> str:
        return "".join("{…}" if p is None else p for p in self.parts)

    @property
    def pieces(self) -> list[str]:
        """The constant pieces, spaces normalised, the literal's outer spaces left out."""
        text = _normal(_PLACEHOLDER.sub("\0", "".join("\0" if p is None else p for p in self.parts)))
        return [piece.strip() for piece in text.split("\0")]

    @property
    def words(self) -> int:
        return sum(_words(piece) for piece in self.pieces)

    def pattern(self) -> re.Pattern[str]:
        return re.compile(".+?".join(re.escape(piece) for piece in self.pieces))


def _words(text: str) -> int:
    """Words, as a reader counts them: runs without spaces holding two letters (`thematic_id` is one)."""
    return sum(1 for token in text.split() if _WORD.search(token) and "_" not in token)


def code_literals() -> Iterator[Literal]:
    """Every string literal of flows/ but docstrings, plain strings and f-strings, of two words or more."""
    for path in sorted(FLOWS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        inside_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        file = path.relative_to(paths.PROJECT_ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                parts = tuple(v.value if isinstance(v, ast.Constant) else None for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docstrings or id(node) in inside_fstrings:
                    continue
                parts = (node.value,)
            else:
                continue
            literal = Literal(file, node.lineno, parts)
            if literal.words >= 2:
                yield literal


def printed_literals(phrases: set[str]) -> list[str]:
    """The literals of flows/ that are a printed phrase, whole; or part of one, from four words on. A
    template with values (an f-string) must hold three words of its own to count."""
    found = []
    for literal in code_literals():
        if (literal.file, literal.text) in SAME_WORDS_ELSEWHERE:
            continue
        pieces = literal.pieces
        if len(pieces) > 1 and literal.words < 3:
            continue
        longest = max(pieces, key=len)
        candidates = [phrase for phrase in phrases if longest in phrase]
        pattern = literal.pattern()
        whole = next((p for p in candidates if pattern.fullmatch(p)), None)
        part = literal.words >= 4 and next((p for p in candidates if pattern.search(p)), None)
        if whole or part:
            found.append(f"{literal.file}:{literal.line}: {literal.text!r} (imprimé : « {whole or part} »)")
    return found


@pytest.fixture(scope="module")
def printed() -> set[str]:
    texts = edition_texts(2018) + edition_texts(2024) + pdf_texts()
    return french_phrases(texts)


def test_the_extraction_reads_what_readers_read(printed):
    """The phrases come from every output: a chart's alternative text and legend, a table's note, an erratum
    label, a web-only word for screen readers, a data package's description, the draft's mark."""
    samples = [
        "Graphique en barres groupées des AE et CP par mission.",  # alternative text (start)
        "Autorisations d'engagement (AE)",  # legend drawn in the chart (SVG)
        "Montants en millions d'euros",  # the missions chart's caption (print and phone)
        "Les montants détaillés totalisent",  # the note under a table whose total differs from its lines
        "Recettes — évolution sur un an",  # erratum label
        "Tableau : Recettes du FIR 2024",  # web edition: a table's region, for screen readers
        "Recettes par ligne et total déclaré",  # the data package's description of a table
        "PROJET — ne pas diffuser",  # the draft's mark
        "Données de l'édition : revenue.csv",  # the archival copy's attachment
        "Offset, papier couché",  # the print file's printing condition
        "Exécution planifiée annuelle",  # the erratum's reason, when a scheduled run corrects an edition
    ]
    for sample in samples:
        assert any(sample in phrase for phrase in printed), sample


def test_no_printed_phrase_is_a_literal_of_the_code(printed):
    found = printed_literals(printed)
    assert not found, "Textes imprimés écrits dans le code (à mettre dans templates/) :\n" + "\n".join(found)


def test_the_scan_finds_a_printed_phrase_written_in_code(printed, tmp_path: Path, monkeypatch):
    """The scan is not blind: a module printing the erratum's heading from a literal is caught."""
    package = tmp_path / "flows"
    package.mkdir()
    leak = (
        'def label(n: int) -> str:\n    """A docstring."""\n    return f"Recettes — évolution à l\'étape « BR{n} »"\n'
    )
    (package / "leak.py").write_text(leak)
    monkeypatch.setattr("tests.test_wording_in_templates.FLOWS", package)
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)
    found = printed_literals(printed)
    assert len(found) == 1 and found[0].startswith("flows/leak.py:3:"), found
