"""Benchmark of the check of an uploaded workbook (flows/edition/authoring/upload_tables.py): the 2024 edition's
guiding workbook (`fir workbook`), saved by LibreOffice as a person's Excel would save it, checked against a copy
of inputs/ as the portal checks an upload, up to the report it shows. Issue 26's target: upload → report shown
≤ 2 s (median, 2-core machine).

Measures, in seconds: the median of N checks in one process (the portal's: its modules already imported), and
a cold check (a fresh interpreter: the imports of the check included, as the first upload after `fir serve`
starts). Prints them and writes bench/results/upload.json.

    .venv/bin/python bench/upload.py [--checks 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGION, YEAR = "hauts-de-france", 2024
TARGET_S = 2.0
RESULTS = ROOT / "bench" / "results" / "upload.json"
_COLD = """
import sys, time
from pathlib import Path
started = time.perf_counter()
from flows.edition.authoring.upload_tables import check_workbook
data = Path(sys.argv[4]).read_bytes()
upload = check_workbook(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), "chiffres.xlsx", data)
assert upload.accepted, upload.summary
print(time.perf_counter() - started)
"""


def saved_workbook(inputs: Path) -> bytes:
    """The edition's workbook as `fir workbook` writes it (2018's figures beside), saved by LibreOffice."""
    from flows.edition.authoring.workbook import earlier_edition, workbook_bytes
    from flows.edition.ingest.snapshot import read_edition
    from tests.office import save_with_libreoffice

    edition = read_edition(inputs, REGION, YEAR)
    written = workbook_bytes(edition, earlier_edition(inputs, REGION, YEAR)[0], inputs)
    return save_with_libreoffice({"chiffres.xlsx": written})["chiffres.xlsx"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=5)
    args = parser.parse_args()
    from flows.edition.authoring.upload_tables import check_workbook

    with tempfile.TemporaryDirectory(prefix="fir-bench-upload-") as folder:
        inputs = Path(folder) / "inputs"
        shutil.copytree(ROOT / "inputs", inputs)
        data = saved_workbook(inputs)
        workbook = Path(folder) / "chiffres.xlsx"
        workbook.write_bytes(data)
        load_before = os.getloadavg()[0]
        cold = subprocess.run(
            [sys.executable, "-c", _COLD, str(inputs), REGION, str(YEAR), str(workbook)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        seconds = []
        for _ in range(args.checks):
            started = time.perf_counter()
            upload = check_workbook(inputs, REGION, YEAR, "chiffres.xlsx", data)
            seconds.append(time.perf_counter() - started)
            assert upload.accepted, upload.summary
        load_after = os.getloadavg()[0]
    median = statistics.median(seconds)
    results = {
        "benchmark": f"check of an uploaded workbook, {REGION} {YEAR} (saved by LibreOffice): upload → report",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_1min": {"before": load_before, "after": load_after},
        "seconds": seconds,
        "median_s": median,
        "cold_s": float(cold.stdout.strip()),
        "target_s": TARGET_S,
        "met": median <= TARGET_S,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"check_workbook, {REGION} {YEAR}: median of {args.checks} checks {median:.3f} s (target {TARGET_S} s)")
    print(f"cold (fresh interpreter, imports included): {results['cold_s']:.3f} s")
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
