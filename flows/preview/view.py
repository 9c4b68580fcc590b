"""The preview's HTML: the whole page, and the part of it a rebuild replaces (the report and the pages),
filled from an Outcome by the templates of templates/preview/."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows import paths
from flows.edition.french import format_seconds
from flows.preview.build import BUG, OK, Outcome
from flows.preview.pages import DPI

A4_PX = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))  # the images' size, so the layout does not jump


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(paths.TEMPLATES_DIR / "preview"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["seconds"] = format_seconds
    return env


def _values(outcome: Outcome | None) -> dict[str, object]:
    return {"o": outcome, "OK": OK, "BUG": BUG, "width": A4_PX[0], "height": A4_PX[1]}


def content(outcome: Outcome | None) -> str:
    """The report (when the inputs need fixing) above the pages: what a rebuild replaces in the page."""
    return _environment().get_template("_content.html.j2").render(**_values(outcome))


def page(outcome: Outcome | None, title: str) -> str:
    """The whole page: a header with the build's state, the content, and the script following rebuilds."""
    return _environment().get_template("preview.html.j2").render(title=title, **_values(outcome))
