"""Disk kept in bounds: files no committed revision references (done by every recovery) and Prefect's
persisted task results, which Prefect never prunes. A result the latest revision of an edition was built
from is kept (a correction reuses it); others go when older than the age bound, or oldest first while the
results take more than the size bound. Results younger than an hour are never touched: a build running
now may be about to record them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

MIN_AGE_S = 3600.0
# Bounds of the pass after each build (`fir gc` takes its own from the command line).
RESULTS_MAX_AGE_S = 30 * 86400.0
RESULTS_MAX_BYTES = 2 * 1024**3
PASS_LIMIT = 200


@dataclass
class Pruned:
    """Prefect's result folder before and after a pass."""

    folder: Path
    files: int = 0
    size: int = 0  # bytes, before the pass
    removed: list[Path] = field(default_factory=list)
    freed: int = 0  # bytes


def prune_results(
    folder: Path,
    keep: set[str],
    max_age_s: float,
    max_bytes: int,
    limit: int | None = None,
    now: float | None = None,
) -> Pruned:
    """Remove result files of `folder` not named in `keep`: older than `max_age_s`, then oldest first
    while the folder is above `max_bytes`; at most `limit` files (a bounded pass after each build)."""
    now = time.time() if now is None else now
    pruned = Pruned(folder)
    if not folder.is_dir():
        return pruned
    found = []
    for path in folder.iterdir():
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            found.append((stat.st_mtime, stat.st_size, path))
    found.sort()
    pruned.files, pruned.size = len(found), sum(size for _, size, _ in found)
    remaining = pruned.size
    for mtime, size, path in found:  # oldest first
        if limit is not None and len(pruned.removed) >= limit:
            break
        age = now - mtime
        if path.name in keep or age < MIN_AGE_S or (age <= max_age_s and remaining <= max_bytes):
            continue
        path.unlink(missing_ok=True)
        pruned.removed.append(path)
        pruned.freed += size
        remaining -= size
    return pruned


def folder_size(folder: Path) -> tuple[int, int]:
    """Files and bytes under `folder` (hard links counted once)."""
    seen: set[tuple[int, int]] = set()
    count = size = 0
    if folder.is_dir():
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                if (stat.st_dev, stat.st_ino) not in seen:
                    seen.add((stat.st_dev, stat.st_ino))
                    count += 1
                    size += stat.st_size
    return count, size
