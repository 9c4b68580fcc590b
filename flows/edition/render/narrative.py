"""Narrative Markdown → HTML fragments for the templates, and the fragment that keeps units and
acronyms in their case.

Narrative is written by several people and is untrusted: raw HTML in it is escaped, not passed
through, and links may only point to http(s) and mailto addresses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

from flows.edition.french import NBSP, NNBSP, UNIT_FACTORS, is_acronym

ALLOWED_SCHEMES = ("http://", "https://", "mailto:")


def _validate_link(url: str) -> bool:
    return url.lower().startswith(ALLOWED_SCHEMES)


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    # markdown-it's documented way to restrict links, though its types declare a method
    md.validateLink = _validate_link  # type: ignore[method-assign]
    md.disable("image")  # narrative pictures would be fetched at print time; none are allowed

    # add_render_rule binds each rule to md.renderer: `renderer` is that HTML renderer
    def heading_open(
        renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        # A narrative heading sits inside an action: keep it out of the outline and sommaire.
        token = tokens[idx]
        level = min(6, int(token.tag[1]) + 3)
        token.tag = f"h{level}"
        token.attrSet("class", "narrative-heading")
        return renderer.renderToken(tokens, idx, options, env)

    def heading_close(
        renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        token.tag = f"h{min(6, int(token.tag[1]) + 3)}"
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("heading_close", heading_close)
    return md


_MD = _renderer()


_THOUSANDS = re.compile(r"(?<=\d) (?=\d{3}(?!\d))")
_BEFORE_UNIT = re.compile(r"(?<=\d) (?=(?:€|k€|M€|%))")


def french_spacing(text: str) -> str:
    """Typed `630 000 €` → no-break spaces, so an amount never splits across two lines."""
    return _BEFORE_UNIT.sub(NBSP, _THOUSANDS.sub(NNBSP, text))


def to_html(markdown: str) -> str:
    """Render one narrative text; raw HTML comes out escaped."""
    return cast(str, _MD.render(french_spacing(markdown)))  # the HTML renderer's output


# A unit whose case carries its meaning (`k€`), before any run of letters (a word, or part of one).
_CASED = re.compile("|".join(re.escape(u) for u in UNIT_FACTORS if any(c.isalpha() for c in u)) + r"|[^\W\d_]+")


def keep_case(text: str) -> Markup:
    """`text` escaped, its units (`k€`, `M€`) and acronyms (`ES`, `CPTS`) in `<span class="keep-case">`,
    which the stylesheet never re-cases: a heading upper-cased by CSS prints `208 k€`, not `208 K€`, in
    the page and in the PDF's text alike. The templates use it (filter `keep_case`) for every value of an
    element whose case the stylesheet changes."""
    parts: list[str] = []
    end = 0
    for match in _CASED.finditer(text):
        word = match.group()
        if word in UNIT_FACTORS or is_acronym(word):
            parts += [escape(text[end : match.start()]), f'<span class="keep-case">{escape(word)}</span>']
            end = match.end()
    parts.append(escape(text[end:]))
    return Markup("".join(parts))
