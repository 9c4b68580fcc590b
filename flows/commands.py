"""The `fir` commands that messages suggest, written so that they work as typed.

A message that tells the user what to run next gives a command they can paste: the `fir` of this
installation (`fir` when the shell finds this one, else its path, `.venv/bin/fir`), the options the user
gave that the next command needs (`--inputs`, `--outputs`, when not the defaults) and every word quoted
for the shell (a folder with a space in its name stays one argument).
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

from flows import paths


def program() -> str:
    """How to call this installation's `fir` from the current folder."""
    here = Path(sys.executable).parent / "fir"  # the script installed beside this Python (the venv's)
    found = shutil.which("fir")
    if found is not None and (not here.exists() or Path(found).resolve() == here.resolve()):
        return "fir"
    if not here.exists():
        return "fir"
    try:
        relative = here.absolute().relative_to(Path.cwd())
    except ValueError:
        return shlex.quote(str(here.absolute()))
    return shlex.quote(relative.as_posix())


def suggest(*words: object, inputs: Path | None = None, outputs: Path | None = None) -> str:
    """`fir <words…>` as a shell line, with `--inputs` / `--outputs` when they are not the defaults."""
    args = [str(word) for word in words]
    if inputs is not None and Path(inputs).absolute() != paths.INPUTS_DIR:
        args += ["--inputs", str(inputs)]
    if outputs is not None and Path(outputs).absolute() != paths.OUTPUTS_DIR:
        args += ["--outputs", str(outputs)]
    return " ".join([program(), *(shlex.quote(arg) for arg in args)])
