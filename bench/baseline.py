"""The benchmarks' yardstick: a plain, single-process WeasyPrint run of the very brochure HTML a cold build
lays out (`HTML(string=…, base_url=templates/).write_pdf()`, untagged, in one call). Every build and preview
measure is reported as a ratio to it (issue 25), so that the targets hold on any machine.

The HTML is made by the build's own pure functions (snapshot → prepare → charts → context → HTML, revision 1
as a cold build makes it). Each layout runs in a fresh interpreter, as a build's does: its time includes
WeasyPrint's first use (fonts loaded), not the import of WeasyPrint itself (reported beside).

    .venv/bin/python bench/baseline.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGION, YEAR = "hauts-de-france", 2024


def brochure_html(inputs: Path, region: str = REGION, year: int = YEAR) -> str:
    """The brochure HTML a first build of the edition lays out: the build's own graph, up to its HTML."""
    from flows.edition.ingest.snapshot import read_snapshot
    from flows.edition.publish import revisions
    from flows.pipeline import graph

    snapshot = read_snapshot(inputs, region, year)
    decision = revisions.decide(None, snapshot.edition.checksums, None, revisions.MANUAL)
    values = {"snapshot": snapshot, "environ": dict(os.environ), "published": None, "decision": decision}
    return str(graph.run(values, graph.call, until="html")["html"])


def lay_out_once(html_file: Path) -> dict[str, float]:
    """In this (fresh) process: import WeasyPrint, then lay out and write the HTML in one plain call."""
    from flows import paths

    html = html_file.read_text(encoding="utf-8")
    started = time.perf_counter()
    from weasyprint import HTML

    imported = time.perf_counter()
    document = HTML(string=html, base_url=str(paths.TEMPLATES_DIR) + "/").render()
    pdf = document.write_pdf()
    done = time.perf_counter()
    return {"seconds": done - imported, "import_s": imported - started, "pages": len(document.pages), "bytes": len(pdf)}


def measure(runs: int, inputs: Path | None = None) -> dict[str, object]:
    """The baseline: the brochure HTML made once, then laid out `runs` times, each in a fresh process."""
    from flows import paths

    html = brochure_html(inputs or paths.INPUTS_DIR)
    with tempfile.TemporaryDirectory(prefix="fir-baseline-") as work:
        html_file = Path(work) / "brochure.html"
        html_file.write_text(html, encoding="utf-8")
        found = []
        for _ in range(runs):
            child = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--lay-out", str(html_file)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            found.append(json.loads(child.stdout.strip().splitlines()[-1]))
    return {
        "what": "plain single-process WeasyPrint: HTML(string=brochure, base_url=templates/).write_pdf()",
        "runs": [run["seconds"] for run in found],
        "median_s": statistics.median(run["seconds"] for run in found),
        "import_weasyprint_s": statistics.median(run["import_s"] for run in found),
        "pages": found[0]["pages"],
        "html_bytes": len(html.encode("utf-8")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lay-out", type=Path, help=argparse.SUPPRESS)  # one run, in the child process
    args = parser.parse_args()
    if args.lay_out:
        print(json.dumps(lay_out_once(args.lay_out)))
        return 0
    found = measure(args.runs)
    print(json.dumps(found, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
