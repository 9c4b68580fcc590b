"""The draft page's « Données modifiées » for approvers: beside the figure-by-figure erratum, what changed in
the edition's inputs between the current publication and the draft — the cells (table, row, French column
title, old → new) and the texts with their words marked — from the input versions both revisions record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from flows.edition.publish.manifest import Manifest, RevisionEntry
from flows.portal import input_store


def view(
    engine: Engine, outputs: Path, region: str, year: int, entry: RevisionEntry, published: Manifest | None
) -> dict[str, Any] | None:
    """What the page shows; None when the draft records no input version (built before they were kept)."""
    new = input_store.recorded_version(entry)
    if new is None:
        return None
    based_on = entry.get("based_on")
    basis = next((e for e in published["revisions"] if e["revision"] == based_on), None) if published else None
    if basis is None:
        return {"new": new, "first": True}
    old = input_store.recorded_version(basis)
    if old is None:
        return {"new": new, "unknown": based_on}
    if old == new:
        return {"new": new, "old": old, "empty": True}
    return input_store.compared(engine, outputs, region, year, old, new)
