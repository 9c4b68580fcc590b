"""mammoth's HTML of a Word document → the edition's Markdown, block by block.

mammoth's own Markdown writer is deprecated; its HTML is a small, known vocabulary (p, h1-h6, strong, em,
ul/ol/li, a, br, sup, sub, s), written here as CommonMark: bold `**`, italics `*`, lists `-` and `1.`
(nested by indentation), links `[text](https://…)`. What Markdown would read as syntax in the author's words
(`*`, `_`, `[`, `<`, a `#` or `1.` opening a line) is escaped, so the text prints as typed and the Markdown
holds no HTML; `[[figure.names]]` typed in the document stay references to the tables' figures. Links other
than web and mail addresses (a bookmark inside the document, a file) keep their words and lose the link, as
the brochure's renderer allows no other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_LINK_SCHEMES = ("http://", "https://", "mailto:")
_REFERENCE = re.compile(r"\[\[[^\[\]]*\]\]")  # as flows/edition/compute/catalogue.py's REFERENCE
_ESCAPED = re.compile(r"([\\`*_\[\]<>])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LINE_START = re.compile(r"^[#>+=~\-]")
_ORDERED_DOT = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_VOID = {"br", "img", "hr"}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str] = field(default_factory=list)


@dataclass(frozen=True)
class Block:
    """A heading (its level and plain text) or a chunk of Markdown (a paragraph or a whole list)."""

    markdown: str
    heading_level: int = 0
    heading: str = ""


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {key: value or "" for key, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def html_blocks(html: str) -> tuple[list[Block], list[str]]:
    """The blocks of mammoth's HTML, and the targets of the links dropped (not web or mail addresses)."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    dropped: list[str] = []
    blocks: list[Block] = []
    for node in builder.root.children:
        if isinstance(node, str):
            text = _paragraph(_escape(node))
            if text:
                blocks.append(Block(text))
        elif re.fullmatch(r"h[1-6]", node.tag):
            title = " ".join(_plain(node).split())
            if title:
                level = int(node.tag[1])
                blocks.append(Block(f"{'#' * level} {_escape(title).replace('#', chr(92) + '#')}", level, title))
        elif node.tag in ("ul", "ol"):
            listing = _list(node, dropped)
            if listing:
                blocks.append(Block(listing))
        elif node.tag not in ("table", "img", "hr"):
            text = _paragraph(_inline(node, dropped))
            if text:
                blocks.append(Block(text))
    return blocks, dropped


def _list(node: _Node, dropped: list[str]) -> str:
    """A (nested) list: `-` or `1.` items, sub-lists indented under their item's text."""
    lines: list[str] = []
    number = 0
    for item in node.children:
        if not isinstance(item, _Node) or item.tag != "li":
            continue
        number += 1
        marker = f"{number}. " if node.tag == "ol" else "- "
        pad = " " * len(marker)
        words = [child for child in item.children if not (isinstance(child, _Node) and child.tag in ("ul", "ol"))]
        text = _paragraph(_inline(_Node("li", {}, words), dropped))
        lines.append((marker + text.replace("\n", "\n" + pad)).rstrip())
        for child in item.children:
            if isinstance(child, _Node) and child.tag in ("ul", "ol"):
                nested = _list(child, dropped)
                if nested:
                    lines.append("\n".join(pad + line if line else line for line in nested.split("\n")))
    return "\n".join(lines)


def _inline(node: _Node, dropped: list[str]) -> str:
    """The Markdown of an element's words: emphasis and links, everything else as its text."""
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            parts.append(_escape(child))
        elif child.tag in ("strong", "b"):
            parts.append(_wrap("**", _inline(child, dropped)))
        elif child.tag in ("em", "i"):
            parts.append(_wrap("*", _inline(child, dropped)))
        elif child.tag == "br":
            parts.append("\\\n")
        elif child.tag == "a":
            parts.append(_link(child, dropped))
        elif child.tag in ("ul", "ol"):
            parts.append("\n" + _list(child, dropped) + "\n")
        elif child.tag == "p":
            parts.append(("\\\n" if "".join(parts).strip() else "") + _inline(child, dropped))
        elif child.tag not in ("img", "table"):
            parts.append(_inline(child, dropped))
    return "".join(parts)


def _link(node: _Node, dropped: list[str]) -> str:
    words = _inline(node, dropped)
    href = node.attrs.get("href", "").strip()
    if not href or not words.strip():
        return words
    if not href.lower().startswith(_LINK_SCHEMES):
        dropped.append(href)
        return words
    lead, core, trail = _split_space(words)
    url = href.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    return f"{lead}[{core}]({url}){trail}"


def _wrap(marker: str, text: str) -> str:
    """Emphasis whose spaces stand outside its markers (`** gras **` is not bold in CommonMark)."""
    lead, core, trail = _split_space(text)
    if not core:
        return text
    if core.endswith("\\\n"):
        return f"{lead}{_wrap(marker, core[:-2])}\\\n{trail}"
    return f"{lead}{marker}{core}{marker}{trail}"


def _split_space(text: str) -> tuple[str, str, str]:
    core = text.strip()
    if not core:
        return text, "", ""
    start = text.index(core)
    return text[:start], core, text[start + len(core) :]


def _escape(text: str) -> str:
    """The author's words as Markdown that prints them as typed; `[[figure.names]]` left as references."""
    out = []
    end = 0
    for found in _REFERENCE.finditer(text):
        out.append(_ENTITY.sub("\\&", _ESCAPED.sub(r"\\\1", text[end : found.start()])))
        out.append(found.group())
        end = found.end()
    out.append(_ENTITY.sub("\\&", _ESCAPED.sub(r"\\\1", text[end:])))
    return "".join(out)


def _paragraph(markdown: str) -> str:
    """One paragraph's Markdown, each line made safe to start a line (no heading, quote, list or code)."""
    lines = []
    for line in markdown.replace("\t", " ").split("\n"):
        line = line.lstrip(" ")
        if _ORDERED_DOT.match(line):
            line = _ORDERED_DOT.sub(r"\1\\\2", line, count=1)
        elif _LINE_START.match(line):
            line = "\\" + line
        lines.append(line)
    text = "\n".join(lines).strip()
    while text.endswith("\\") and (len(text) - len(text.rstrip("\\"))) % 2:  # a line break ending the paragraph
        text = text[:-1].rstrip()
    return text


def _plain(node: _Node) -> str:
    return "".join(child if isinstance(child, str) else _plain(child) for child in node.children)
