"""A Word document (.docx) sent by a service → the edition's Markdown texts, and what could not come along.

Two ways: `import_text` makes the whole document one text (the text being edited); `import_part` splits a
document covering a whole part of « en actions » by its headings, each heading naming the part (its
introduction, `texts/parts/<part_id>.md`) or one of its sections and actions (`texts/actions/<id>.md`) by
its title as the `parts` and `actions` tables give it. A heading is matched by its words only (case, accents
kept; spaces, apostrophes, dashes, a leading « Partie 1 : » or « 2.1 » and final punctuation ignored): one
that matches no title is reported with its passage, never attached by guess.

mammoth (a maintained converter) reads the document; `docx_inspect` lists, with the heading they stood
under, what a brochure text cannot hold (images, tables, comments, footnotes, text boxes, fields, tracked
changes: insertions kept, deletions dropped). A text replaced by an import keeps its front matter and loses
its « À RÉÉCRIRE » mark: the service's document is this edition's text. Every text produced is read back by
the edition's own parser (`parse_text`) before it is returned.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import mammoth

from flows.edition.authoring.docx_inspect import ImportNote, inspect_docx
from flows.edition.authoring.docx_markdown import Block, html_blocks
from flows.edition.authoring.markers import marked_line, unmarked_cell
from flows.edition.authoring.upload_checks import check_upload
from flows.edition.authoring.upload_refusal import UploadRefused
from flows.edition.contract import RawTable
from flows.edition.errors import InputError, Problem
from flows.edition.ingest.files import InputFile
from flows.edition.ingest.snapshot import read_raw_tables
from flows.edition.ingest.texts import parse_text


@dataclass(frozen=True)
class TextTarget:
    """A text of the edition a document's heading may name: its file and the title it is known by."""

    path: str  # relative to the edition's folder: "texts/actions/p2-msp.md"
    title: str  # as the parts / actions table gives it


@dataclass(frozen=True)
class ImportedText:
    """One text made from the document, ready to be written over the edition's file of that name."""

    path: str  # relative to the edition's folder: "texts/actions/p2-msp.md"
    title: str  # the part's or action's title its heading matched ("" for a whole document as one text)
    markdown: str  # the body, in Markdown
    content: str  # the whole file: the current file's front matter, if any, then the body
    removed_mark: bool  # the current file still had the « À RÉÉCRIRE » mark, now gone


@dataclass(frozen=True)
class DocxImport:
    """What an import made, and everything the editor must know about what it left behind."""

    source: str  # the document's name, as uploaded
    texts: tuple[ImportedText, ...]
    notes: tuple[ImportNote, ...]  # what was not imported (or not as it was), and where
    unmatched: tuple[str, ...] = ()  # the document's headings that name no text of the part: not imported
    untouched: tuple[str, ...] = ()  # titles of the part the document has no passage for: left as they are

    def report(self) -> list[str]:
        """The French lines the portal shows under the imported texts."""
        lines = [str(note) for note in self.notes]
        lines += [
            f"Le titre « {title} » ne correspond à aucun texte de la partie : son passage n'est pas importé "
            "(reprendre dans le document le titre exact de l'action, ou importer ce passage comme un seul texte)."
            for title in self.unmatched
        ]
        lines += [
            f"« {title} » : aucun passage dans le document, le texte actuel est gardé." for title in self.untouched
        ]
        lines += [
            f"{text.path} : la mention « À RÉÉCRIRE » est retirée, "
            "le texte importé remplace celui de l'édition précédente."
            for text in self.texts
            if text.removed_mark
        ]
        return lines


def import_text(name: str, data: bytes, path: str, current: str | None = None, title: str | None = None) -> DocxImport:
    """The whole document as the one text `path` (whose current content, if any, gives the front matter).

    `title`: the part's or action's title, which the brochure prints above the text; a document opening
    with it as a heading (as services write) loses that heading rather than print the title twice."""
    blocks, notes = _read(name, data)
    if blocks and title and blocks[0].heading_level and _normalized(blocks[0].heading) == _normalized(title):
        notes.insert(0, ImportNote(f"le titre « {blocks[0].heading} »", "au début du document", _TITLE_OUTCOME))
        blocks = blocks[1:]
    if not blocks:
        raise UploadRefused(name, "le document ne contient aucun texte à reprendre", _WORD_ADVICE)
    text = _imported(path, title or "", [block.markdown for block in blocks], current)
    return DocxImport(name, (text,), tuple(notes))


def import_part(
    name: str, data: bytes, targets: Sequence[TextTarget], current: Mapping[str, str] | None = None
) -> DocxImport:
    """A document covering a whole part, split by its headings into the part's texts (`targets`, from
    `part_targets`); `current`: the files' present content by path, for their front matter."""
    blocks, notes = _read(name, data)
    by_title = {_normalized(target.title): target for target in targets}
    passages: dict[str, list[str]] = {}
    unmatched: list[str] = []
    target: TextTarget | None = None
    before_first = False  # text before the document's first heading
    for block in blocks:
        if block.heading_level:
            target = by_title.get(_normalized(block.heading))
            if target is None or target.path in passages:
                unmatched.append(block.heading if target is None else f"{block.heading} (en double)")
                target = None
            else:
                passages[target.path] = []
        elif target is not None:
            passages[target.path].append(block.markdown)
        elif not unmatched:
            before_first = True
    if not passages:
        raise UploadRefused(
            name,
            "aucun de ses titres ne reprend le titre d'une action de la partie "
            f"(titres du document : {_listed([b.heading for b in blocks if b.heading_level])})",
            "Mettez dans le document, en style « Titre 1 » ou « Titre 2 », les titres exacts des actions "
            "(ceux du tableau des actions), ou importez-le comme un seul texte, puis déposez-le à nouveau.",
        )
    if before_first:
        notes.insert(0, ImportNote("le texte placé avant le premier titre", "au début du document", "non repris"))
    current = current or {}
    texts = tuple(
        _imported(t.path, t.title, passages[t.path], current.get(t.path)) for t in targets if passages.get(t.path)
    )
    untouched = tuple(t.title for t in targets if not passages.get(t.path))
    return DocxImport(name, texts, tuple(notes), tuple(unmatched), untouched)


def part_targets(parts: RawTable, actions: RawTable, part_id: str) -> list[TextTarget]:
    """The texts of one part, in reading order: its introduction, then its sections and actions."""
    part_rows = [dict(zip(parts.header, row, strict=False)) for row in parts.rows]
    part = next((row for row in part_rows if row.get("part_id") == part_id), None)
    if part is None:
        known = ", ".join(row.get("part_id", "") for row in part_rows)
        raise InputError(Problem(parts.source, f"une partie parmi : {known}", value=part_id))
    targets = [TextTarget(f"texts/parts/{part_id}.md", unmarked_cell(part.get("title", "")))]
    for row in (dict(zip(actions.header, row, strict=False)) for row in actions.rows):
        if row.get("part_id") == part_id:
            targets.append(TextTarget(f"texts/actions/{row['action_id']}.md", unmarked_cell(row.get("title", ""))))
    return targets


def edition_parts(folder: Path, inputs: Path) -> list[tuple[str, str]]:
    """The edition's parts as (part_id, title), in their order: what a part import offers to choose from."""
    raws, _files, _notices = read_raw_tables(folder, inputs)
    parts = raws["parts"]
    return [(row[parts.header.index("part_id")], unmarked_cell(row[parts.header.index("title")])) for row in parts.rows]


def edition_part_targets(folder: Path, inputs: Path, part_id: str) -> list[TextTarget]:
    """`part_targets` of the edition in `folder` (CSV files or workbook, amounts still to type allowed)."""
    raws, _files, _notices = read_raw_tables(folder, inputs)
    return part_targets(raws["parts"], raws["actions"], part_id)


_TITLE_OUTCOME = "non repris dans le texte (la brochure imprime déjà ce titre au-dessus)"
_WORD_ADVICE = "Vérifiez que c'est le bon document Word, puis déposez-le à nouveau."
_MAMMOTH_STYLE = re.compile(r"Unrecognised (paragraph|run) style: '?([^'(]*?)'? \(Style ID")


def _read(name: str, data: bytes) -> tuple[list[Block], list[ImportNote]]:
    """The document's blocks of Markdown and the notes of what did not come along as it was."""
    check_upload(name, data, "docx")  # the portal checked it already: a second look costs little
    cleaned, notes = inspect_docx(data)
    result = mammoth.convert_to_html(io.BytesIO(cleaned))
    blocks, dropped = html_blocks(result.value)
    notes += [
        ImportNote(
            f"un lien vers « {target[:60]} »", "dans le document", "non repris (seuls les liens web et mail le sont)"
        )
        for target in dropped
    ]
    for message in result.messages:
        note = _mammoth_note(message.message)
        if note is not None and note not in notes:
            notes.append(note)
    return blocks, notes


_FRENCH_STYLES = {
    "Quote": "Citation",
    "Intense Quote": "Citation intense",
    "Title": "Titre",
    "Subtitle": "Sous-titre",
    "Caption": "Légende",
    "No Spacing": "Sans interligne",
    "Emphasis": "Accentuation",
    "Subtle Emphasis": "Accentuation légère",
    "Intense Emphasis": "Accentuation intense",
    "Book Title": "Titre du livre",
}
_HANDLED_STYLES = ("list", "liste", "comment", "footnote", "endnote", "annotation", "hyperlink", "lien")


def _mammoth_note(message: str) -> ImportNote | None:
    """A mammoth warning as a note: a style whose look is lost, or something it could not read."""
    if "referenced but not defined" in message:
        return None  # a style the document names without defining it: its text is read all the same
    style = _MAMMOTH_STYLE.match(message)
    if style:
        label = style.group(2)
        if not label or label == "None" or label.lower().startswith(_HANDLED_STYLES):
            return None  # lists are kept; comments, notes and links are noted from the document itself
        label = _FRENCH_STYLES.get(label, label)  # Word stores its built-in styles' English names
        kind = "de paragraphe" if style.group(1) == "paragraph" else "de caractères"
        return ImportNote(
            f"le style {kind} « {label} »", "dans le document", "repris comme texte ordinaire, sans sa mise en forme"
        )
    symbol = re.search(r"w:sym element .* in font (.+)$", message)
    if symbol:
        return ImportNote(f"un symbole de la police « {symbol.group(1)} »", "dans le document", "non repris")
    if message.startswith("Unsupported break type"):
        return ImportNote("un saut de colonne", "dans le document", "non repris (le texte continue)")
    element = re.search(r"ignored: ([\w:]+)$", message)
    what = f"un élément Word non reconnu ({element.group(1)})" if element else "un élément Word non reconnu"
    return ImportNote(what, "dans le document", "non repris")


def _imported(path: str, title: str, chunks: list[str], current: str | None) -> ImportedText:
    """The file `path` with `chunks` as its body, its current front matter kept; read back by parse_text."""
    body = "\n\n".join(chunks).strip()
    header = _front_matter(current or "")
    removed = current is not None and marked_line(current) is not None
    content = f"{header}{body}\n"
    key = path.removeprefix("texts/").removesuffix(".md")
    parse_text(InputFile(path, content.encode(), hashlib.sha256(content.encode()).hexdigest()), key)
    return ImportedText(path, title, body, content, removed)


def _front_matter(text: str) -> str:
    """A file's YAML header (`---` … `---`), with the line after it, or ""."""
    found = re.match(r"\A\s*---[ \t]*\n.*?\n---[ \t]*\n", text, re.DOTALL)
    return found.group() + "\n" if found else ""


_NUMBERING = re.compile(
    r"^(?:(?:partie|orientation|action|axe)\s+(?:\d+|[ivx]+)\s*[.):\-]?\s*|\d+(?:\.\d+)+\.?\s+|(?:\d+|[ivx]+)\s*[.):\-]\s+)",
    re.IGNORECASE,
)


def _normalized(title: str) -> str:
    """A title as matched: its words, whatever the spaces, apostrophes, dashes, numbering and end mark."""
    text = unicodedata.normalize("NFC", title)
    for typed, plain in (("’", "'"), ("‘", "'"), ("ʼ", "'"), ("–", "-"), ("—", "-"), ("‑", "-")):
        text = text.replace(typed, plain)
    text = " ".join(text.split()).strip()
    text = _NUMBERING.sub("", text, count=1)
    return text.rstrip(" .:;").casefold()


def _listed(titles: list[str]) -> str:
    shown = ", ".join(f"« {title[:60]} »" for title in titles[:5])
    return (shown + ("…" if len(titles) > 5 else "")) or "aucun"
