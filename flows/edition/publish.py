"""Writing the brochure into outputs/: never a half-written file where a reader can see it."""

from __future__ import annotations

import os
from pathlib import Path

from flows.paths import archive_path, brochure_path


def publish_pdf(pdf: bytes, outputs: Path, region: str, year: int, archival: bool = False) -> Path:
    """Write the PDF beside its final place, then move it there in one atomic step."""
    target = (archive_path if archival else brochure_path)(outputs, region, year)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with open(temporary, "wb") as handle:
            handle.write(pdf)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target
