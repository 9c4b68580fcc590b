"""Markdown reader: the narrative texts under texts/, each with an optional YAML front matter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from flows.edition.errors import InputError, Problem
from flows.edition.ingest.files import InputFile, decode_utf8

MAX_TEXT_BYTES = 1 * 1024 * 1024  # one narrative file is a few kB


@dataclass(frozen=True)
class Text:
    key: str  # "fir", "actions", "actions/<action_id>", "parts/<part_id>", "thematics/<id>"
    source: str  # path relative to the inputs folder, for messages
    body: str  # Markdown, front matter removed
    body_line: int = 1  # file line where the body starts, so that messages point into the file


def parse_text(file: InputFile, key: str) -> Text:
    """One Markdown file; its front matter is checked (a broken header is a located error) and dropped."""
    raw = decode_utf8(file.data, file.source, "un texte encodé en UTF-8").replace("\r\n", "\n")
    body, body_line = _split_front_matter(raw, file.source)
    return Text(key, file.source, body, body_line)


# Only a YAML header between `---` lines: a text that opens with `+++` or `{` is body text to us, not a
# TOML or JSON header (python-frontmatter would try both).
_YAML_HEADER = YAMLHandler()


def _split_front_matter(raw: str, source: str) -> tuple[str, int]:
    """The body (stripped) and the file line where it starts, after an optional YAML header."""
    text = raw.lstrip()
    lead = raw[: len(raw) - len(text)].count("\n")  # blank lines before the header
    parts = _YAML_HEADER.FM_BOUNDARY.split(text, 2) if _YAML_HEADER.detect(text) else []
    if len(parts) != 3:  # no header, or an opening `---` never closed: all body
        return raw.strip(), lead + 1
    _, header, rest = parts
    try:
        metadata: Any = _YAML_HEADER.load(header)
    except yaml.YAMLError as exc:
        # The header text starts with the end of the opening `---` line: a mark's 0-based line is the
        # file's line number minus one (plus the blank lines before the header).
        mark, opened = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
        line = lead + (mark.line + 1 if mark is not None else 1)
        detail = str(getattr(exc, "problem", None) or exc)
        if mark is not None and opened is not None and opened.line != mark.line:
            detail += f" ; élément commencé ligne {lead + opened.line + 1}"
        raise InputError(
            Problem(source, f"un en-tête YAML valide entre deux lignes « --- » ({detail})", line)
        ) from None
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict) or not all(isinstance(k, str) for k in metadata):
        raise InputError(Problem(source, "un en-tête YAML de la forme « clé: valeur »", lead + 2))
    body = rest.strip()
    skipped = text[: len(text) - len(rest)] + rest[: len(rest) - len(rest.lstrip())]
    return body, lead + skipped.count("\n") + 1
