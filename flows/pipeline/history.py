"""The edition's revisions as the build and the preview read them from the catalogue: every revision (drafts
and rejected ones too: the next number is after them all) and the published ones (the erratum and the values
kept are against the current publication). Read once, by both, the same way."""

from __future__ import annotations

from pathlib import Path

from flows.edition.publish import database, revisions, store
from flows.edition.publish.manifest import Manifest


def read(catalogue: store.Catalogue, region: str, year: int) -> tuple[Manifest | None, Manifest | None]:
    """Every revision of the edition, and its published ones."""
    return catalogue.history(region, year, statuses=None), catalogue.history(region, year)


def existing(outputs: Path, region: str, year: int) -> tuple[Manifest | None, Manifest | None]:
    """As `read`, without creating a catalogue where there is none (no revision yet)."""
    if not database.catalogue_exists(outputs):
        return None, None
    return read(store.open_catalogue(outputs), region, year)


def earlier_pages(catalogue: store.Catalogue, region: str, year: int) -> dict[str, int] | None:
    """The anchors' pages in the brochure of the edition's latest revision, whatever its status (a correction's
    groups are planned there, graph.py `earlier_pages`); None without one, or when its file cannot be read: a
    plan only, never a result."""
    from flows.edition.render.assemble import anchor_pages

    latest = revisions.latest(catalogue.history(region, year, statuses=None))
    if latest is None:
        return None
    try:
        return anchor_pages(catalogue.object_file(region, year, latest["pdf"]["sha256"]).read_bytes())
    except Exception:  # a missing or damaged file: the build lays its groups out one by one
        return None
