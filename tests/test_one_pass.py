"""The data flows in one pass: every input file is opened once per build, what is attached to the
archival copy is what was checksummed, and `fir check` and `fir build` print the same report."""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from prefect import task
from prefect.cache_policies import NO_CACHE

from flows import brochure
from tests.conftest import REGION
from tests.helpers import EDITOR, approve_in_process, fir, fir_build

_OPENED: list[str] | None = None  # files opened while a test listens (None: nobody listens)


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _OPENED is not None and isinstance(args[0], (str, Path)):
        _OPENED.append(str(Path(args[0]).resolve()))


sys.addaudithook(_audit)  # cannot be removed: it does nothing unless a test sets _OPENED


@pytest.fixture
def opened():
    """Every path Python opens (open(), Path.read_bytes, zip files…) while the test runs."""
    global _OPENED
    _OPENED = []
    yield _OPENED
    _OPENED = None


def test_a_build_opens_every_input_file_exactly_once(inputs_copy: Path, tmp_path: Path, opened: list[str]):
    result = brochure.build_brochure(
        region=REGION, year=2024, inputs=str(inputs_copy), outputs=str(tmp_path / "out"), launched_by=EDITOR
    )
    assert result.published
    approve_in_process(tmp_path / "out", REGION, 2024, result.revision)
    root = inputs_copy.resolve()
    reads = Counter(Path(path).relative_to(root).as_posix() for path in opened if Path(path).is_relative_to(root))
    # The edition, the earlier edition it is compared with, and the national missions list.
    expected = {
        path.relative_to(root).as_posix()
        for folder in (root / REGION / "2024", root / REGION / "2018", root / "_reference")
        for path in folder.rglob("*")
        if path.is_file()
    }
    assert set(reads) == expected
    assert {path: count for path, count in reads.items() if count != 1} == {}
    manifest = json.loads((tmp_path / "out" / REGION / "2024" / "manifest.json").read_text(encoding="utf-8"))
    recorded = set(manifest["revisions"][0]["inputs"])
    assert recorded == {p for p in expected if p.startswith(f"{REGION}/2024/") or p.startswith("_reference/")}


def test_a_file_changed_during_the_build_is_neither_attached_nor_recorded(
    inputs_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = inputs_copy / REGION / "2024" / "thematics.csv"
    original = path.read_bytes()
    edited = original.replace(b"Cancer", b"Cancer (modifi\xc3\xa9 en cours de construction)", 1)
    assert edited != original
    take_snapshot = brochure.take_snapshot

    @task(name="snapshot", cache_policy=NO_CACHE)
    def snapshot_then_edit(inputs: Path, region: str, year: int):
        snapshot = take_snapshot.fn(inputs, region, year)
        path.write_bytes(edited)  # someone saves the file while the build goes on
        return snapshot

    monkeypatch.setattr(brochure, "take_snapshot", snapshot_then_edit)
    outputs = tmp_path / "out"
    built = brochure.build_brochure(
        region=REGION, year=2024, inputs=str(inputs_copy), outputs=str(outputs), launched_by=EDITOR
    )
    approve_in_process(outputs, REGION, 2024, built.revision)
    assert path.read_bytes() == edited
    manifest = json.loads((outputs / REGION / "2024" / "manifest.json").read_text(encoding="utf-8"))
    recorded = manifest["revisions"][0]["inputs"][f"{REGION}/2024/thematics.csv"]
    assert recorded == hashlib.sha256(original).hexdigest()
    archive = outputs / REGION / "2024" / f"fir-{REGION}-2024-archive.pdf"
    with pikepdf.open(archive) as pdf:
        attached = pdf.attachments["thematics.csv"].get_file().read_bytes()
    assert hashlib.sha256(attached).hexdigest() == recorded
    assert attached == original


def test_check_and_build_print_the_same_report(inputs_copy: Path, tmp_path: Path):
    check = fir("check", "--region", REGION, "--year", 2024, "--inputs", inputs_copy)
    assert check.returncode == 0, check.stderr
    build = fir_build(2024, tmp_path / "out", inputs_copy)
    report = check.stdout.strip()
    assert "avertissement" in report and report in build.stdout
    assert "Traceback" not in build.stderr


def test_a_build_refused_by_validation_prints_the_check_report_without_traceback(inputs_copy: Path, tmp_path: Path):
    path = inputs_copy / REGION / "2024" / "revenue.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("517,1", "600,1", 1), encoding="utf-8")
    check = fir("check", "--region", REGION, "--year", 2024, "--inputs", inputs_copy)
    build = fir("build", "--region", REGION, "--year", 2024, "--inputs", inputs_copy, "--outputs", tmp_path / "out")
    assert (check.returncode, build.returncode) == (1, 1), build.stdout + build.stderr
    assert "ERREUR" in check.stdout and check.stdout.strip() in build.stdout
    assert "Traceback" not in build.stderr and "Rien n'a été publié" in build.stderr
    assert not (tmp_path / "out" / REGION / "2024" / f"fir-{REGION}-2024.pdf").exists()
