"""Pages of a PDF as PNG images, rendered on demand by pdftoppm and cached on disk under
outputs/.cache/previews/<sha256>/, keyed by the file's SHA-256: a file's bytes never change under its
digest (the store is content-addressed), so a cached image is never stale and needs no invalidation.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from pathlib import Path

COVER_DPI = 40  # a thumbnail on the public page
PAGE_DPI = 60  # a page a reviewer reads side by side with another
_TIMEOUT_S = 60
_running = threading.BoundedSemaphore(2)  # two cores: never more pdftoppm processes than that
_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


class PreviewFailed(Exception):
    """pdftoppm could not render the page (a damaged file, a missing page)."""


def cache_dir(outputs: Path) -> Path:
    return outputs / ".cache" / "previews"


def page_png(outputs: Path, pdf: Path, digest: str, page: int, dpi: int) -> Path:
    """Page `page` of `pdf` (whose SHA-256 is `digest`) as a PNG at `dpi`, from the cache or rendered now."""
    target = cache_dir(outputs) / digest / f"p{page}-r{dpi}.png"
    if target.is_file():
        return target
    with _lock(str(target)):
        if target.is_file():  # rendered by another request while this one waited
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".render-") as work:
            prefix = Path(work) / "page"
            command = ["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), "-singlefile"]
            with _running:
                try:
                    done = subprocess.run(
                        [*command, str(pdf), str(prefix)], capture_output=True, timeout=_TIMEOUT_S, check=False
                    )
                except (OSError, subprocess.TimeoutExpired) as exc:
                    raise PreviewFailed(f"pdftoppm : {exc}") from exc
            rendered = prefix.with_suffix(".png")
            if done.returncode != 0 or not rendered.is_file():
                raise PreviewFailed(done.stderr.decode(errors="replace").strip() or f"page {page} absente")
            os.replace(rendered, target)  # whole or absent: never a half-written image in the cache
    return target


def _lock(key: str) -> threading.Lock:
    with _locks_lock:
        return _locks.setdefault(key, threading.Lock())
