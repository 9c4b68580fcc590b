"""Revisions an outputs/ tree holds beyond the catalogue: every revision of a tree written before the
catalogue existed (manifest.json + revisions/rN/), or of a catalogue restored from an older backup. They
are imported with their records and checksums, after checking that each file still has its SHA-256.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flows.edition.publish import objects
from flows.edition.publish.errors import StoreDamaged
from flows.edition.publish.manifest import EXTRA_ROLES, Manifest, RevisionEntry, files_of

MANIFEST = "manifest.json"


def revisions_to_import(folder: Path, history: Manifest | None) -> tuple[str | None, list[RevisionEntry]]:
    """The region's name and the revisions `folder/manifest.json` lists after the catalogue's latest,
    each checked against its files; none when the tree has nothing new."""
    path = folder / MANIFEST
    if not path.is_file():
        return None, []
    last = history["revisions"][-1]["revision"] if history and history["revisions"] else 0
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        listed = [_entry(e) for e in manifest["revisions"]]
    except (ValueError, KeyError, TypeError) as exc:
        if history is not None:
            return None, []  # only a view, rewritten from the catalogue at once
        raise StoreDamaged(path, f"historique illisible ({exc})") from exc
    new = [e for e in listed if e["revision"] > last]
    expected = list(range(last + 1, last + 1 + len(new)))
    if [e["revision"] for e in new] != expected:
        numbers = ", ".join(str(e["revision"]) for e in new)
        raise StoreDamaged(path, f"révisions {numbers} : numéros non consécutifs après la révision {last}")
    for entry in new:
        for listed_file in files_of(entry).values():
            file = folder / listed_file["file"]
            if not file.is_file() or objects.file_sha256(file) != listed_file["sha256"]:
                raise StoreDamaged(
                    file,
                    f"fichier de la révision {entry['revision']} absent ou altéré (SHA-256 attendu "
                    f"{listed_file['sha256']})",
                )
    return manifest.get("region_name"), new


def _entry(raw: dict[str, Any]) -> RevisionEntry:
    """One revision as any version of this tool wrote it (older manifests lack some fields)."""
    entry = RevisionEntry(
        published_at=raw["published_at"],
        reason=raw.get("reason", ""),
        trigger=raw.get("trigger", "manual"),
        code_version=raw.get("code_version", "inconnue"),
        inputs_digest=raw.get("inputs_digest", ""),
        inputs=raw.get("inputs", {}),
        pages=raw.get("pages", 0),
        warnings=raw.get("warnings", []),
        erratum=raw.get("erratum", []),
        figures=raw.get("figures", {}),
        basis=raw.get("basis", {}),
        revision=int(raw["revision"]),
        pdf=raw["pdf"],
        archive=raw["archive"],
    )
    for role in EXTRA_ROLES:
        if role in raw:
            entry[role] = raw[role]  # type: ignore[literal-required]
    return entry
