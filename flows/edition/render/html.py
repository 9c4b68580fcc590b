"""Context → HTML with Jinja2: every value escaped unless marked safe by our own code."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows.edition.render.narrative import keep_case


def render_html(context: Mapping[str, object], templates_dir: Path) -> str:
    """Fill the brochure template; every value is escaped unless marked safe by our own code."""
    return environment(templates_dir).get_template("brochure.html.j2").render(**context)


@cache
def environment(templates_dir: Path) -> Environment:
    """The templates' environment, the same for the brochure and its web edition. One per folder: templates
    compiled once per process (0.1–0.2 s each time otherwise, which `fir preview` pays at every save); a
    template changed on disk is reloaded. Callers must not change it (filters are added here only)."""
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html", "j2", "html.j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["keep_case"] = keep_case  # units and acronyms the stylesheet must not re-case
    return env
