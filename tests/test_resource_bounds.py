"""Absurdly large inputs are refused early, with a clear message, before they exhaust memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.conftest import REGION
from tests.helpers import fir


def check(inputs: Path) -> subprocess.CompletedProcess:
    return fir("check", "--region", REGION, "--year", 2024, "--inputs", inputs, timeout=120)


def _sparse(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no disk space (the reader must refuse it without reading it)."""
    with open(path, "wb") as handle:
        handle.truncate(size)


# The command as a user runs it, reporting at exit its own peak memory (VmHWM: this process only, not the
# pages of the test process it was started from, which getrusage's ru_maxrss counts after a vfork).
_MEASURED = (
    "import atexit, re, sys\n"
    "atexit.register(lambda: sys.stdout.write(re.search(r'VmHWM:.*', open('/proc/self/status').read())[0]))\n"
    "from flows.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_a_2_gb_csv_is_refused_before_reading(inputs_copy):
    _sparse(inputs_copy / REGION / "2024" / "thematics.csv", 2 * 1024**3)
    command = [sys.executable, "-c", _MEASURED, "check", "--region", REGION, "--year", "2024"]
    child = subprocess.run([*command, "--inputs", str(inputs_copy)], capture_output=True, text=True, timeout=120)
    assert child.returncode == 1 and "Traceback" not in child.stderr
    assert "thematics.csv — attendu : un fichier de moins de 50 Mo (taille : 2048 Mo)" in child.stderr
    peak_kb = int(child.stdout.rsplit("VmHWM:", 1)[1].split()[0])
    assert peak_kb < 1024 * 1024  # under 1 GB


def test_a_50_mb_markdown_file_is_refused(inputs_copy):
    _sparse(inputs_copy / REGION / "2024" / "texts" / "chiffres.md", 50 * 1024**2)
    result = check(inputs_copy)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "texts/chiffres.md — attendu : un fichier de moins de 1 Mo (taille : 50 Mo)" in result.stderr


def test_a_20000_px_logo_is_refused_from_its_header(inputs_copy):
    folder = inputs_copy / REGION / "2024"
    Image.new("1", (20_000, 20_000)).save(folder / "logo.png", optimize=True)  # tiny file, huge image
    toml = folder / "edition.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[brand]", '[brand]\nlogo = "logo.png"'), encoding="utf-8")
    result = check(inputs_copy)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "brand.logo : valeur « logo.png (image démesurée) » — attendu : une image d'au plus 16 millions" in (
        result.stderr
    )


def test_a_5000_px_logo_is_refused_with_its_size(inputs_copy):
    folder = inputs_copy / REGION / "2024"
    Image.new("1", (5_000, 5_000)).save(folder / "logo.png", optimize=True)
    toml = folder / "edition.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[brand]", '[brand]\nlogo = "logo.png"'), encoding="utf-8")
    result = check(inputs_copy)
    assert result.returncode == 1
    assert "valeur « 5000 × 5000 px » — attendu : une image d'au plus 16 millions de pixels" in result.stderr
