"""One version of an edition's inputs, as files by path relative to inputs/, split into the edition
folder's files and the others (the national references beside the editions).

Files are compared by their path inside the edition folder, so that two versions compare the same way
whether they are two states of one edition or two years (`hauts-de-france/2024/revenue.csv` and
`hauts-de-france/2025/revenue.csv` are the same table).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from flows.edition.ingest.names import META_FILE, REFERENCE_DIR

_EDITION_FILE = re.compile(r"^([^/_.][^/]*/\d{4})/(.+)$")  # region/year/… ; `_reference/…` is no edition


@dataclass(frozen=True)
class VersionFiles:
    """A version's files: `edition` by path inside the edition folder, `others` by path under inputs/."""

    folder: str  # "hauts-de-france/2024", or "" when the paths are already inside the folder
    edition: Mapping[str, bytes]
    others: Mapping[str, bytes]

    def path(self, inside: str) -> str:
        """A file of the edition folder by its path under inputs/, as messages name it."""
        return f"{self.folder}/{inside}" if self.folder else inside


def split_version(files: Mapping[str, bytes]) -> VersionFiles:
    """The edition folder of a version (the one holding edition.toml, else the one most files are in)
    and its files; files outside it (`_reference/missions.csv`) are kept by their own path."""
    folders = Counter(found.group(1) for path in files if (found := _EDITION_FILE.match(path)))
    with_meta = [folder for folder in folders if f"{folder}/{META_FILE}" in files]
    if with_meta:
        folder = with_meta[0]
    elif folders:
        folder = folders.most_common(1)[0][0]
    else:
        folder = ""
    if not folder:
        outside = {path: data for path, data in files.items() if path.startswith(f"{REFERENCE_DIR}/")}
        return VersionFiles("", {path: data for path, data in files.items() if path not in outside}, outside)
    prefix = folder + "/"
    edition = {path.removeprefix(prefix): data for path, data in files.items() if path.startswith(prefix)}
    others = {path: data for path, data in files.items() if not path.startswith(prefix)}
    return VersionFiles(folder, edition, others)
