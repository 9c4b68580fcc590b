"""Test helpers for inputs as people really have them: `fir check` in-process, and workbooks saved by
LibreOffice (which computes every formula and stores its value, as Excel does)."""

from __future__ import annotations

import contextlib
import gc
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from flows import cli
from tests.conftest import REGION

SOFFICE = shutil.which("soffice")


def fir_check(inputs: Path, year: int, region: str = REGION) -> tuple[int, str]:
    """`fir check` through the CLI's own entry point, in this process: (exit code, stdout + stderr).

    Raises whatever the command lets through: a test calling it fails on any traceback.
    """
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["check", "--region", region, "--year", str(year), "--inputs", str(inputs)])
    finally:
        # The command freezes the garbage collector as it ends (the process is about to exit); the tests
        # go on: let it collect again, or objects of other tests (WeasyPrint's fonts) outlive the session.
        gc.unfreeze()
    return code, (out.getvalue() + err.getvalue()).replace("\u202f", " ").replace("\u00a0", " ")


def save_with_libreoffice(workbooks: list[Path], target: Path) -> list[Path]:
    """Open each workbook in LibreOffice (headless) and save it as .xlsx in `target`: formulas are
    computed and their values stored in the file, like a workbook saved by Excel. One LibreOffice
    start for all of them (a few seconds), with a throwaway profile."""
    assert SOFFICE is not None, "LibreOffice (soffice) is not installed: run scripts/setup.sh"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fir-libreoffice-") as profile:
        subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--calc",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(target),
                *map(str, workbooks),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    saved = [target / path.name for path in workbooks]
    assert all(path.is_file() for path in saved), "LibreOffice did not save every workbook"
    return saved
