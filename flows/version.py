"""The code version recorded with every revision: package version and, in a git checkout, the commit."""

from __future__ import annotations

import hashlib
import subprocess
from functools import cache

from flows import __version__
from flows.paths import PROJECT_ROOT


@cache
def code_version() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{commit}" if commit else __version__


@cache
def code_digest() -> str:
    """A digest of everything that shapes the output besides the inputs: this project's code and
    templates, and the versions of the libraries that draw and print. Part of every cache key, so a
    cached step is never reused across a change of code, template, font or library."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for folder in (PROJECT_ROOT / "flows", PROJECT_ROOT / "templates"):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    for package in ("polars", "plotnine", "matplotlib", "weasyprint", "pydyf", "pikepdf", "jinja2", "markdown-it-py"):
        digest.update(f"{package}=={version(package)}".encode())
    return digest.hexdigest()
