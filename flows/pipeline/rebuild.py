"""`fir rebuild`: a revision made again from the store alone — the versions of the inputs its record names
(publish/input_versions.py), its number, reason, date, the publication its erratum was computed against and
the web address it printed — through the build's own graph, then compared file by file with the SHA-256 the
catalogue recorded. No `inputs/` folder is read, nothing in the store changes: the files go to the folder
named, with the names the revision's files have."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.edition.ingest.snapshot import read_snapshot
from flows.edition.publish import input_versions, objects, revisions, store
from flows.edition.publish.manifest import Manifest, RevisionEntry, WebAddressEntry, files_of
from flows.edition.validate.address import PORTAL_VARIABLE
from flows.pipeline import graph
from flows.version import code_version


class NotRebuildable(Exception):
    """The revision cannot be made again from the store (said in French, with why)."""


@dataclass
class RebuiltFile:
    role: str
    path: Path
    sha256: str
    recorded: str

    @property
    def same(self) -> bool:
        return self.sha256 == self.recorded


@dataclass
class Rebuilt:
    revision: int
    input_version: int
    files: list[RebuiltFile] = field(default_factory=list)
    code_changed: str | None = None  # the code version the revision was built with, when not this one

    @property
    def identical(self) -> bool:
        return all(f.same for f in self.files)


def rebuild(outputs: Path, region: str, year: int, number: int, into: Path) -> Rebuilt:
    """Make revision `number` again into `into` and compare each file with the one recorded."""
    catalogue = store.open_catalogue(outputs)
    every = catalogue.history(region, year, statuses=None)
    entry = next((e for e in (every or {"revisions": []})["revisions"] if e["revision"] == number), None)
    if entry is None:
        known = ", ".join(str(e["revision"]) for e in (every or {"revisions": []})["revisions"]) or "aucune"
        raise NotRebuildable(f"{region} {year} n'a pas de révision {number} (révisions : {known})")
    version = entry.get("input_version")
    if version is None:
        raise NotRebuildable(
            f"la révision {number} de {region} {year} a été construite avant que les fichiers d'entrée soient "
            "conservés dans le stockage : elle ne peut pas être reconstruite (ses fichiers restent disponibles)"
        )
    values = _values(catalogue, entry, region, year, version)
    made: dict[str, bytes] = values["files"]
    into.mkdir(parents=True, exist_ok=True)
    rebuilt = Rebuilt(number, version)
    if entry["code_version"] != code_version():
        rebuilt.code_changed = entry["code_version"]
    for role, recorded in files_of(entry).items():
        if role not in made:
            continue
        target = into / "/".join(recorded["file"].split("/")[2:])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(made[role])
        rebuilt.files.append(RebuiltFile(role, target, objects.sha256(made[role]), recorded["sha256"]))
    return rebuilt


def _values(catalogue: store.Catalogue, entry: RevisionEntry, region: str, year: int, version: int) -> dict[str, Any]:
    """The graph's values, every input taken from the revision's record and the store."""
    outputs = catalogue.outputs
    engine = catalogue.engine
    with tempfile.TemporaryDirectory(prefix="fir-rebuild-") as folder:
        inputs = Path(folder) / "inputs"
        # the edition's own version last: its copy of the shared reference folder is the one the build read
        wanted = [*((int(y), v) for y, v in (entry.get("earlier_inputs") or {}).items()), (year, version)]
        for edition_year, number in wanted:
            found = input_versions.version(engine, outputs, region, edition_year, number)
            input_versions.export(outputs, found, inputs)
        snapshot = read_snapshot(inputs, region, year)
        if snapshot.edition.checksums != entry["inputs"]:
            raise NotRebuildable(
                f"la version {version} des fichiers d'entrée n'est pas celle que la révision {entry['revision']} a "
                "lue (empreintes différentes) : le stockage est incohérent, lancer « fir repair »"
            )
        values: dict[str, Any] = {
            "snapshot": snapshot,
            "environ": _environ(entry.get("web_address"), region, year),
            "published": _published_then(catalogue.history(region, year), entry.get("based_on")),
            "decision": revisions.Decision(True, entry["revision"], entry["reason"], ""),
            "built_at": entry["published_at"],
            "layout_hint": None,
        }
        return graph.run(values, graph.call)


def _published_then(published: Manifest | None, based_on: int | None) -> Manifest | None:
    """The publications as they stood when the revision was built: up to the one its erratum is against."""
    if published is None or based_on is None:
        return None
    kept = [e for e in published["revisions"] if e["revision"] <= based_on]
    return Manifest(
        region=published["region"], region_name=published["region_name"], year=published["year"], revisions=kept
    )


def _environ(address: WebAddressEntry | None, region: str, year: int) -> dict[str, str]:
    """The environment the build printed its web address from: FIR_PORTAL_URL when that was the setting."""
    if not address or address.get("setting") != PORTAL_VARIABLE or not address.get("url"):
        return {}
    url = str(address["url"])
    suffix = f"/editions/{region}/{year}/web/"
    return {PORTAL_VARIABLE: url[: -len(suffix)] if url.endswith(suffix) else url}
