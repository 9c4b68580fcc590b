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


def program(anywhere: bool = False) -> str:
    """How to call this installation's `fir` from the current folder (`anywhere`: from any folder)."""
    here = Path(sys.executable).parent / "fir"  # the script installed beside this Python (the venv's)
    found = shutil.which("fir")
    if found is not None and (not here.exists() or Path(found).resolve() == here.resolve()):
        return "fir"
    if not here.exists():
        return "fir"
    try:
        relative = here.absolute().relative_to(Path.cwd())
    except ValueError:
        anywhere = True
    return shlex.quote(str(here.absolute()) if anywhere else relative.as_posix())


def suggest(*words: object, inputs: Path | None = None, outputs: Path | None = None, anywhere: bool = False) -> str:
    """`fir <words…>` as a shell line, with `--inputs` / `--outputs` when they are not the defaults.
    `anywhere`: for a line read later, elsewhere (a workbook's guide): every path absolute."""
    args = [str(word) for word in words]
    for option, given, default in (("--inputs", inputs, paths.INPUTS_DIR), ("--outputs", outputs, paths.OUTPUTS_DIR)):
        if given is not None and Path(given).absolute() != default:
            args += [option, str(Path(given).absolute() if anywhere else given)]
    return " ".join([program(anywhere), *(shlex.quote(arg) for arg in args)])
