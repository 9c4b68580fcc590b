"""The code version recorded with every revision: package version and, in a git checkout, the commit."""

from __future__ import annotations

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
