"""What a Word document holds that an edition's text cannot: found in its XML, located, and taken out.

mammoth converts what a brochure text can hold (paragraphs, headings, bold, italics, lists, links) and
quietly drops or flattens the rest. The editor must know what was left behind and where, so the document's
body is walked here first: each table, image, drawing, text box, comment, footnote, field and tracked
change becomes a note naming the heading (and paragraph) it stood under, and the elements that would
otherwise leak into the text (a text box's words, a table's cells, a footnote's call) are removed before
mammoth reads the document.

Tracked changes are read as if accepted: insertions are kept, deletions dropped, and each is listed.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, tostring

from defusedxml.ElementTree import fromstring

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_V = "{urn:schemas-microsoft-com:vml}"
_HEADING_NAME = re.compile(r"heading\s*[1-6]$", re.IGNORECASE)
_HEADING_ID = re.compile(r"Heading[1-6]$")
_QUOTE_LIMIT = 60
_TABLE_OUTCOME = "non repris (recopier ses informations en phrases, ou les mettre dans les tableaux de chiffres)"
_CONTENTS_OUTCOME = "non reprise (le sommaire de la brochure est fait à partir des titres)"
_DELETION_OUTCOME = "appliquée : ce texte supprimé n'est pas repris"
_NOTE_OUTCOME = "non reprise (l'intégrer au texte si elle compte)"


@dataclass(frozen=True)
class ImportNote:
    """One thing of the document the imported text does not hold as it was, and where it stood."""

    what: str  # « une image », « un tableau de 3 lignes (« Action », « Montant »…) »
    where: str  # « sous le titre « Les MSP », 2e paragraphe », « avant le premier titre »
    outcome: str  # « non repris », « gardée (modification acceptée) »

    def __str__(self) -> str:
        return f"{self.where[0].upper()}{self.where[1:]} : {self.what} — {self.outcome}."


@dataclass
class _Walk:
    """The walk's state: the heading and paragraph the next element stands under, and the notes so far."""

    styles: dict[str, str]
    comments: dict[str, str]
    notes_text: dict[str, str]
    heading: str | None = None
    paragraph: int = 0
    in_heading: bool = False
    notes: list[ImportNote] = field(default_factory=list)

    def where(self) -> str:
        if self.in_heading:
            return f"dans le titre « {_quote(self.heading or '')} »"
        under = f"sous le titre « {_quote(self.heading)} »" if self.heading is not None else "avant le premier titre"
        return f"{under}, {_ordinal(self.paragraph)} paragraphe" if self.paragraph else under

    def note(self, what: str, outcome: str) -> None:
        self.notes.append(ImportNote(what, self.where(), outcome))


def inspect_docx(data: bytes) -> tuple[bytes, list[ImportNote]]:
    """The document with what cannot be imported taken out of its body, and the notes saying what and where."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())

        def part(path: str) -> Element | None:
            return fromstring(archive.read(path), forbid_dtd=True) if path in names else None

        document = part("word/document.xml")
        if document is None:
            raise ValueError("word/document.xml missing")  # refused earlier by upload_checks
        walk = _Walk(_style_names(part("word/styles.xml")), _notes_text(part("word/comments.xml"), "comment"), {})
        walk.notes_text.update(_notes_text(part("word/footnotes.xml"), "footnote", "f"))
        walk.notes_text.update(_notes_text(part("word/endnotes.xml"), "endnote", "e"))
        body = document.find(f"{W}body")
        if body is not None:
            _walk_blocks(body, walk)
        cleaned = io.BytesIO()
        with zipfile.ZipFile(cleaned, "w", zipfile.ZIP_DEFLATED) as out:
            for info in archive.infolist():
                content = tostring(document) if info.filename == "word/document.xml" else archive.read(info)
                out.writestr(info.filename, content)
    return cleaned.getvalue(), walk.notes


def heading_style(paragraph: Element, styles: dict[str, str]) -> bool:
    """A heading as mammoth's default style map sees one: style « Heading 1 » to « Heading 6 »."""
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    style_id = style.get(f"{W}val", "") if style is not None else ""
    return bool(_HEADING_ID.match(style_id) or _HEADING_NAME.match(styles.get(style_id, "")))


def _walk_blocks(container: Element, walk: _Walk) -> None:
    """Body-level elements in reading order: paragraphs, tables, content controls."""
    for child in list(container):
        if child.tag == f"{W}p":
            _walk_paragraph(child, walk)
        elif child.tag == f"{W}tbl":
            walk.paragraph += 1
            walk.note(_table(child), _TABLE_OUTCOME)
            container.remove(child)
        elif child.tag == f"{W}sdt":
            gallery = child.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")
            if gallery is not None and "contents" in gallery.get(f"{W}val", "").lower():
                walk.note("une table des matières", _CONTENTS_OUTCOME)
                container.remove(child)
                continue
            content = child.find(f"{W}sdtContent")
            if content is not None:
                _walk_blocks(content, walk)


def _walk_paragraph(paragraph: Element, walk: _Walk) -> None:
    text = _text(paragraph)
    walk.in_heading = heading_style(paragraph, walk.styles)
    if walk.in_heading:
        walk.heading, walk.paragraph = text.strip(), 0
    elif text.strip() or _has_content(paragraph):
        walk.paragraph += 1
    _walk_inline(paragraph, walk)
    walk.in_heading = False


def _walk_inline(parent: Element, walk: _Walk) -> None:
    """Inside a paragraph: note (and take out) what mammoth would drop silently or let leak into the text."""
    for child in list(parent):
        tag = child.tag
        if tag in (f"{W}pPr", f"{W}rPr"):
            continue  # paragraph and run properties: a w:ins / w:del there marks a paragraph sign, no text
        if tag in (f"{W}drawing", f"{W}pict", f"{W}object", f"{_MC}AlternateContent"):
            what, outcome = _drawing(child)
            walk.note(what, outcome)
            parent.remove(child)
        elif tag in (f"{W}del", f"{W}moveFrom"):
            deleted = "".join(t.text or "" for t in child.iter(f"{W}delText")) or _text(child)
            if deleted.strip():
                walk.note(f"une suppression suivie « {_quote(deleted)} »", _DELETION_OUTCOME)
            parent.remove(child)
        elif tag in (f"{W}ins", f"{W}moveTo"):
            inserted = _text(child)
            if inserted.strip():
                walk.note(f"une insertion suivie « {_quote(inserted)} »", "gardée : ce texte inséré est repris")
            _walk_inline(child, walk)
        elif tag == f"{W}commentReference":
            comment = walk.comments.get(child.get(f"{W}id", ""), "")
            walk.note(f"un commentaire « {_quote(comment)} »" if comment else "un commentaire", "non repris")
            parent.remove(child)
        elif tag in (f"{W}footnoteReference", f"{W}endnoteReference"):
            kind = "f" if tag == f"{W}footnoteReference" else "e"
            note = walk.notes_text.get(kind + child.get(f"{W}id", ""), "")
            label = "une note de bas de page" if kind == "f" else "une note de fin"
            walk.note(f"{label} « {_quote(note)} »" if note else label, _NOTE_OUTCOME)
            parent.remove(child)
        elif tag == f"{W}fldSimple":  # mammoth skips a simple field: its shown result is put in its place
            _note_field(child, walk)
            _walk_inline(child, walk)
            at = list(parent).index(child)
            parent.remove(child)
            for offset, result in enumerate(list(child)):
                parent.insert(at + offset, result)
        else:
            _note_field(child, walk)
            _walk_inline(child, walk)


_FIELD = re.compile(r"^\s*([A-Za-z]+)")


def _note_field(element: Element, walk: _Walk) -> None:
    """A field other than a hyperlink: its last shown result is kept as plain text."""
    code = element.get(f"{W}instr", "") if element.tag == f"{W}fldSimple" else ""
    if element.tag == f"{W}instrText":
        code = element.text or ""
    found = _FIELD.match(code)
    if found and found.group(1).upper() != "HYPERLINK":
        walk.note(
            f"un champ « {found.group(1).upper()} »",
            "repris comme texte simple, tel qu'il était affiché (il ne sera plus mis à jour)",
        )


def _drawing(element: Element) -> tuple[str, str]:
    """What a drawing, a VML picture, an embedded object or alternate content shows, and what becomes of it."""
    boxes = list(element.iter(f"{W}txbxContent"))
    if boxes:
        words = _text(boxes[0])
        what = f"une zone de texte « {_quote(words)} »" if words.strip() else "une zone de texte"
        return what, "non reprise (recopier son texte dans un paragraphe s'il doit figurer dans la brochure)"
    if element.tag == f"{W}object" or any(e.tag.endswith("}OLEObject") for e in element.iter()):
        return "un objet incorporé", "non repris"
    charts = [e for e in element.iter(f"{_A}graphicData") if e.get("uri", "").endswith("/chart")]
    if charts:
        return "un graphique", "non repris (les graphiques de la brochure sont faits à partir des tableaux de chiffres)"
    if any(True for _ in element.iter(f"{_A}blip")) or any(True for _ in element.iter(f"{_V}imagedata")):
        return "une image", "non reprise (les textes de la brochure n'ont pas d'images)"
    return "un dessin ou une forme", "non repris"


def _table(table: Element) -> str:
    rows = table.findall(f"{W}tr")
    cells = [_quote(_text(cell), 25) for cell in (rows[0].findall(f"{W}tc") if rows else [])][:3]
    shown = ", ".join(f"« {cell} »" for cell in cells if cell)
    count = f"{len(rows)} ligne{'s' if len(rows) > 1 else ''}"
    return f"un tableau de {count}" + (f" ({shown}…)" if shown else "")


def _style_names(styles: Element | None) -> dict[str, str]:
    if styles is None:
        return {}
    names = {}
    for style in styles.iter(f"{W}style"):
        name = style.find(f"{W}name")
        names[style.get(f"{W}styleId", "")] = name.get(f"{W}val", "") if name is not None else ""
    return names


def _notes_text(root: Element | None, tag: str, prefix: str = "") -> dict[str, str]:
    """Comments, footnotes or endnotes by id (with `prefix`), their text joined."""
    if root is None:
        return {}
    return {prefix + note.get(f"{W}id", ""): " ".join(_text(note).split()) for note in root.iter(f"{W}{tag}")}


def _has_content(paragraph: Element) -> bool:
    return any(e.tag in (f"{W}drawing", f"{W}pict", f"{W}object") for e in paragraph.iter())


def _text(element: Element) -> str:
    """The visible text under `element`: its w:t runs (deleted text is w:delText, not counted), tabs as spaces."""
    parts: list[str] = []

    def visit(node: Element) -> None:
        for child in node:
            if child.tag == f"{W}t":
                parts.append(child.text or "")
            elif child.tag == f"{W}tab":
                parts.append(" ")
            elif child.tag != f"{W}txbxContent":  # a text box's words are not its paragraph's
                visit(child)

    visit(element)
    return "".join(parts)


def _quote(text: str | None, limit: int = _QUOTE_LIMIT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ordinal(number: int) -> str:
    return "1er" if number == 1 else f"{number}e"
