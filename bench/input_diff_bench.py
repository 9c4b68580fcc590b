"""Benchmark of the input diff (issue 26): `diff_inputs` between the real 2024 edition and copies changed
the way the staff change them. Target: 0,5 s for the 2024 edition against a modified copy.

Cases (each a pair of versions, files by path under inputs/, as the store of input versions gives them):

- four-changes: one amount (thematics.csv), one paragraph (texts/fir.md), the logo replaced, a row added
  (revenue_priorities.csv) — what the portal's history page and the approver's page compare;
- csv-to-workbook: the same tables moved into figures.xlsx by `fir workbook`'s writer, nothing changed
  (every table read from both versions, the workbook with openpyxl);
- workbook-cell: two workbooks, one amount typed in the second (both workbooks read);
- identical: the same version twice.

`cold`: the first diff in a new process, after the imports (what the first page after `fir serve` waits);
`warm`: the median of the next runs in that process. Prints a table and the machine's load, writes
bench/results/input_diff.json.

    .venv/bin/python bench/input_diff_bench.py [--runs 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INPUTS = ROOT / "inputs"
E24 = "hauts-de-france/2024"
CASES = ("four-changes", "csv-to-workbook", "workbook-cell", "identical")
TARGET = 0.5  # seconds, for the 2024 edition against a modified copy
Files = dict[str, bytes]


def read_version(folder: str) -> Files:
    found = {p.relative_to(INPUTS).as_posix(): p.read_bytes() for p in (INPUTS / folder).rglob("*") if p.is_file()}
    found["_reference/missions.csv"] = (INPUTS / "_reference/missions.csv").read_bytes()
    return found


def changed(files: Files, path: str, old: str, new: str) -> Files:
    text = files[path].decode("utf-8")
    assert text.count(old) == 1, f"{old!r} in {path}"
    return {**files, path: text.replace(old, new).encode("utf-8")}


def with_logo(files: Files, size: int) -> Files:
    files = changed(files, f"{E24}/edition.toml", 'accent = "#d4006e"\n', 'accent = "#d4006e"\nlogo = "logo.svg"\n')
    head = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40"/>'
    logo = f"{head}<!-- {'x' * (size - len(head) - 16)} --></svg>\n".encode("ascii")
    return {**files, f"{E24}/logo.svg": logo}


def workbook_version(files: Files, cell: int | None = None) -> Files:
    """The edition with its tables in figures.xlsx (`fir workbook`'s writer); `cell`: the first thematic's
    amount typed instead."""
    from openpyxl import load_workbook

    from flows.edition.authoring.workbook import workbook_bytes
    from flows.edition.ingest.snapshot import read_edition

    edition = read_edition(INPUTS, "hauts-de-france", 2024)
    data = workbook_bytes(edition, None, INPUTS)
    if cell is not None:
        book = load_workbook(io.BytesIO(data))
        sheet = book["thematics"]
        column = next(c.column for c in sheet[1] if str(c.value).endswith("(amount)"))
        sheet.cell(2, column).value = cell
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    tables = {f"{E24}/{name}.csv" for name in edition.tables}
    return {p: d for p, d in files.items() if p not in tables} | {f"{E24}/figures.xlsx": data}


def versions(case: str) -> tuple[Files, Files]:
    base = read_version(E24)
    if case == "four-changes":
        new = with_logo(base, 15 * 1024)
        new = changed(new, f"{E24}/thematics.csv", ";€;153 285 611;", ";€;153 300 000;")
        new = changed(new, f"{E24}/texts/fir.md", "finance des actions", "soutient des projets")
        new[f"{E24}/revenue_priorities.csv"] += "sante-mentale;Santé mentale des jeunes;;M€;1,2\n".encode()
        return with_logo(base, 12 * 1024), new
    if case == "csv-to-workbook":
        return base, workbook_version(base)
    if case == "workbook-cell":
        return workbook_version(base), workbook_version(base, 153_300_000)
    return base, dict(base)


def child(case: str, runs: int) -> None:
    """One process: the imports, then the case's diff `runs` times; prints the timings as JSON."""
    started = time.perf_counter()
    from flows.edition.authoring.input_diff import diff_inputs

    imported = time.perf_counter() - started
    old, new = versions(case)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        diff = diff_inputs(old, new)
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"import": imported, "seconds": seconds, "headline": diff.headline()}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs)
        return 0
    load_before = os.getloadavg()[0]
    results = {}
    for case in CASES:
        command = [sys.executable, __file__, "--child", case, "--runs", str(args.runs)]
        out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        measured = json.loads(out.strip().splitlines()[-1])
        cold, warm = measured["seconds"][0], statistics.median(measured["seconds"][1:] or measured["seconds"])
        results[case] = {"import": measured["import"], "cold": cold, "warm": warm, "headline": measured["headline"]}
        timings = f"import {measured['import']:.3f} s  cold {cold:.3f} s  warm {warm:.3f} s"
        print(f"{case:16} {timings}  ({measured['headline']})")
    load_after = os.getloadavg()[0]
    print(f"target {TARGET} s; load average (1 min) {load_before:.2f} → {load_after:.2f}; {os.cpu_count()} CPUs")
    report = {
        "benchmark": "diff_inputs, hauts-de-france 2024 against changed copies",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_1min": {"before": load_before, "after": load_after},
        "runs": args.runs,
        "target_seconds": TARGET,
        "cases": results,
    }
    target = ROOT / "bench" / "results" / "input_diff.json"
    target.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
