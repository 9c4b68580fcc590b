"""Where each named figure is printed: the ids of the elements showing it (its table row, its section,
the texts that name it as `[[figure]]`). The erratum prints the page(s) of a changed figure from them,
once the layout knows each id's page (`@@pages:…@@`, render/paginate.py)."""

from __future__ import annotations

from collections.abc import Iterable

from flows.edition.compute.catalogue import REFERENCE
from flows.edition.ingest.texts import Text

# The section each kind of figure is printed in, when it has no row of its own.
_SECTIONS = {
    "execution": "depenses",
    "cp_by_nature": "depenses",
    "revenue_priorities": "recettes",
    "history": "evolution",
}


def text_anchor(key: str) -> str | None:
    """The id of the element a text (`texts/<key>.md`) is printed in."""
    kind, _, rest = key.partition("/")
    if not rest:
        return {"fir": "le-fir", "actions": "en-actions", "chiffres": "recettes"}.get(kind)
    return {"parts": f"partie-{rest}", "actions": rest, "thematics": f"thematique-{rest}"}.get(kind)


def figure_anchors(name: str, texts: Iterable[Text]) -> list[str]:
    """The ids of the elements where figure `name` is printed, in reading order of kind (row, then texts)."""
    table, _, rest = name.partition(".")
    key, _, field = rest.partition(".")
    if table == "thematics" and key == "total":
        found = ["ligne-thematique-total"]
    elif table == "thematics":  # the amount in the table; the share there and on the chart; the heading
        found = {
            "": [f"ligne-thematique-{key}"],
            "share": [f"ligne-thematique-{key}", "graphique-thematics"],
            "rounded": [f"thematique-{key}", "graphique-thematics"],
        }.get(field, [f"ligne-thematique-{key}"])
    elif table == "missions":
        found = [f"ligne-mission-{key}"]
    elif table == "revenue":
        found = ["recettes"] if key in ("growth", "stages") else [f"ligne-recette-{key}"]
    elif table in ("action", "key_figure"):
        found = [key]
    else:
        found = [_SECTIONS.get(table, "en-chiffres")]
    for text in texts:
        if any(match.group(1) == name for match in REFERENCE.finditer(text.body)):
            anchor = text_anchor(text.key)
            if anchor and anchor not in found:
                found.append(anchor)
    return found


def pages(anchors: Iterable[str], page_numbers: dict[str, int]) -> list[int]:
    """The pages of the anchors the layout found, in order, each once."""
    return sorted({page_numbers[a] for a in anchors if a in page_numbers})
