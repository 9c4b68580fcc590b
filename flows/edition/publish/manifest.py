"""The shape of `manifest.json`: an edition's revisions as the JSON file keeps them (typed for mypy,
plain dictionaries on disk and in the download page)."""

from __future__ import annotations

from typing import TypedDict

from flows.edition.compute.published import BasisEntry


class ChangeEntry(TypedDict, total=False):
    figure: str
    label: str
    old: str
    new: str
    pages: list[int]  # where the new value is printed (revisions recorded before pages were kept lack it)


class FileEntry(TypedDict):
    file: str  # relative to the edition's folder: revisions/r<N>/<name>
    sha256: str
    size: int


class RecordEntry(TypedDict):
    """What a revision says about itself (publish/record.py)."""

    published_at: str
    reason: str
    trigger: str
    code_version: str
    inputs_digest: str
    inputs: dict[str, str]  # input file (relative to inputs/) → SHA-256
    pages: int
    warnings: list[str]
    erratum: list[ChangeEntry]
    figures: dict[str, str]  # figure name → printed text
    basis: dict[str, BasisEntry]  # published values printed, with the amounts they were printed with


class RevisionEntry(RecordEntry):
    """A published revision: its record, its number and its two files (publish/store.py)."""

    revision: int
    pdf: FileEntry
    archive: FileEntry


class Manifest(TypedDict):
    region: str
    region_name: str
    year: int
    revisions: list[RevisionEntry]


def files_of(entry: RevisionEntry) -> dict[str, FileEntry]:
    """A revision's files by role: "pdf" (published) and "archive" (PDF/A-3)."""
    return {"pdf": entry["pdf"], "archive": entry["archive"]}
