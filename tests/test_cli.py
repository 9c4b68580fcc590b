"""The `fir` command as a user runs it: messages, exit codes, nothing published on bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import REGION
from tests.helpers import fir


def run(*args: object) -> subprocess.CompletedProcess:
    return fir(*args, timeout=300)


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_check_2024_prints_the_published_thematic_gap_and_exits_0():
    result = run("check", "--region", REGION, "--year", "2024")
    assert result.returncode == 0, result.stderr
    out = _plain(result.stdout)
    assert "538 736 879 €" in out and "538 736 882 €" in out
    assert "0 erreur(s)" in out


def test_check_2018_prints_the_published_ae_gap_and_exits_0():
    result = run("check", "--region", REGION, "--year", "2018")
    assert result.returncode == 0, result.stderr
    out = _plain(result.stdout)
    assert "303 543 407 €" in out and "303 543 408 €" in out


def test_broken_input_exits_non_zero_naming_file_line_column_without_traceback(inputs_copy: Path, tmp_path: Path):
    path = inputs_copy / REGION / "2024" / "thematics.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("41 139 625", "41 139 625 €"), encoding="utf-8")
    outputs = tmp_path / "outputs"
    result = run("build", "--region", REGION, "--year", "2024", "--inputs", str(inputs_copy), "--outputs", str(outputs))
    assert result.returncode == 1
    assert "thematics.csv, ligne 4, colonne « Montant (amount) » : valeur « 41 139 625 € »" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not outputs.exists()


def test_unknown_edition_lists_the_available_ones():
    result = run("check", "--region", REGION, "--year", "1999")
    assert result.returncode == 1
    assert "hauts-de-france/2024" in result.stderr and "Traceback" not in result.stderr


def test_usage_error_exits_2():
    assert run("build", "--region", REGION).returncode == 2


def test_list_shows_both_editions():
    result = run("list")
    assert f"{REGION} 2018" in result.stdout and f"{REGION} 2024" in result.stdout
