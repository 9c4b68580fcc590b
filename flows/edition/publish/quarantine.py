"""Files the store cannot prove it needs — an object no revision references, a build's record never known to be
committed — are moved aside, never deleted by a recovery: `outputs/.quarantine/<when>/<region>/<year>/…`,
the same relative path as in the edition. `fir gc` deletes a quarantined folder once it is older than the
delay (a restored backup of the catalogue has time to claim its files back), and a recovery takes back an
object a revision needs from there.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from flows.edition.publish import objects

QUARANTINE = ".quarantine"
DELAY_DAYS = 30
_STAMP = "%Y%m%dT%H%M%SZ"


def folder(outputs: Path) -> Path:
    return outputs / QUARANTINE


def move_aside(outputs: Path, edition_dir: Path, path: Path, now: dt.datetime | None = None) -> Path:
    """Move `path` (inside `edition_dir`) into today's quarantine; the path it now has."""
    when = (now or dt.datetime.now(dt.UTC)).strftime(_STAMP)
    relative = path.relative_to(outputs)
    target = folder(outputs) / when / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = 1
    while target.exists():  # the same name twice in a second: keep both
        target = target.with_name(f"{path.name}.{suffix}")
        suffix += 1
    os.replace(path, target)
    objects.sync_folder(target.parent)
    objects.sync_folder(path.parent)
    return target


def find_object(outputs: Path, edition_dir: Path, digest: str) -> Path | None:
    """A quarantined copy of the edition's object `digest` holding its bytes, newest first."""
    relative = objects.object_path(edition_dir, digest).relative_to(outputs)
    for moment in sorted(_moments(outputs), reverse=True):
        candidate = moment / relative
        if candidate.is_file() and objects.file_sha256(candidate) == digest:
            return candidate
    return None


@dataclass
class Purge:
    """What `fir gc` did with the quarantine."""

    removed: list[tuple[dt.datetime, int]] = field(default_factory=list)  # moments deleted, files in each
    kept: list[tuple[dt.datetime, int]] = field(default_factory=list)  # moments kept, files in each

    def next_removal(self, delay_days: float = DELAY_DAYS) -> dt.datetime | None:
        return min(when for when, _ in self.kept) + dt.timedelta(days=delay_days) if self.kept else None


def purge(outputs: Path, delay_days: float = DELAY_DAYS, now: dt.datetime | None = None) -> Purge:
    """Delete the quarantined folders older than `delay_days`; say what was deleted and what is kept."""
    now = now or dt.datetime.now(dt.UTC)
    done = Purge()
    for moment in sorted(_moments(outputs)):
        when = _when(moment)
        if when is None:
            continue
        count = sum(1 for p in moment.rglob("*") if p.is_file())
        if now - when >= dt.timedelta(days=delay_days):
            shutil.rmtree(moment)
            done.removed.append((when, count))
        else:
            done.kept.append((when, count))
    return done


def _moments(outputs: Path) -> list[Path]:
    root = folder(outputs)
    return [p for p in root.iterdir() if p.is_dir() and _when(p) is not None] if root.is_dir() else []


def _when(moment: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(moment.name, _STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
