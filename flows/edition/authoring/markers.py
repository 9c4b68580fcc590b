"""The marks `fir new` leaves on what a new edition must still get: one spelling, written here and read
back by the reader, so that `fir check` lists exactly what `fir new` left to do.

- an amount to type where an empty cell would mean "not applicable" (a budget stage, a published rate):
  the cell holds `?` (elsewhere an empty amount cell is itself "to type": it cannot be left empty);
- a text carried over from the previous edition: a Markdown file gets a first line
  `<!-- À RÉÉCRIRE : texte de l'édition 2024 … -->`, a table's text cell starts with
  `[À RÉÉCRIRE, texte de 2024]`. The previous text stays as the starting point; deleting the mark
  says the text is up to date.
"""

from __future__ import annotations

import re

TO_TYPE = "?"
_WORD = r"[AÀ]\s+R[EÉ][EÉ]CRIRE"
_TEXT_MARK = re.compile(rf"^[ \t]*<!--\s*{_WORD}\b", re.IGNORECASE | re.MULTILINE)
_CELL_MARK = re.compile(rf"^\s*\[\s*{_WORD}\b[^\]]*\]\s*", re.IGNORECASE)


def text_mark(source_year: int, year: int) -> str:
    """The first line of a Markdown text carried over from `source_year` into the edition of `year`."""
    return (
        f"<!-- À RÉÉCRIRE : texte de l'édition {source_year}, à mettre à jour pour {year}, "
        "puis supprimer cette ligne -->"
    )


def mark_cell(text: str, source_year: int) -> str:
    """A table's text cell carried over, marked as to be rewritten (an empty cell stays empty)."""
    return f"[À RÉÉCRIRE, texte de {source_year}] {text}" if text.strip() else text


def marked_line(body: str) -> int | None:
    """The 0-based line of the body where the "to be rewritten" mark stands, None when it has none."""
    found = _TEXT_MARK.search(body)
    return None if found is None else body.count("\n", 0, found.start())


def without_text_mark(body: str) -> str:
    """The body with its "to be rewritten" mark line left blank (the other lines keep their numbers): how
    the text prints once its mark is deleted."""
    line = marked_line(body)
    if line is None:
        return body
    lines = body.split("\n")
    lines[line] = ""
    return "\n".join(lines)


def is_marked_cell(text: str) -> bool:
    """True when a text cell still starts with the "to be rewritten" mark."""
    return _CELL_MARK.match(text) is not None


def is_to_type(text: str) -> bool:
    """True when an amount cell holds the "to type" mark."""
    return text.strip() == TO_TYPE


def unmarked_cell(text: str) -> str:
    """A table's text cell without its "to be rewritten" mark (a title matched against a document's heading)."""
    return _CELL_MARK.sub("", text, count=1)
