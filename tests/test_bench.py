"""The benchmark's table: medians, ratios to the cold build and the time outside the steps, from known timings."""

from __future__ import annotations

from bench.run import table


def _run(wall: float, **steps: float) -> dict:
    return {"wall": wall, "peak_mb": 100.0 + wall, "steps": steps}


def test_the_table_reports_medians_ratios_and_prefect_share():
    results = {
        "cold": [_run(5.0, command=4.9, snapshot=0.1, prepare=0.3), _run(6.0), _run(5.5)],
        "correction": [_run(2.0, **{"lay-out-pages": 0.8}), _run(2.4, **{"lay-out-pages": 1.0}), _run(2.2)],
        "no-change": [_run(0.2)],
        "second correction": [],
    }
    text = table(results, baseline=[_run(7.0)])
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert rows["cold"].startswith("| cold | 5.50 | 1.00 | 106 |")
    assert rows["correction"].startswith("| correction | 2.20 | 0.40 | 102 |")
    assert rows["no-change"].startswith("| no-change | 0.20 | 0.04 |")
    assert rows["naive baseline (no cache)"].startswith("| naive baseline (no cache) | 7.00 | 1.27 |")
    assert "second correction |" not in text.split("Median time per step")[0]  # no runs: no row
    assert rows["lay-out-pages"] == "| lay-out-pages | 0.000 | 0.000 | 0.800 | nan |"
    assert rows["cold"].endswith("| 0.00 | 0% |")  # median of 4.5, 0 and 0 seconds outside the steps
    assert rows["snapshot"] == "| snapshot | 0.000 | 0.000 | 0.000 | nan |"  # median of 0.1, 0, 0
    assert rows["print file (PDF/X-4)"] == "| print file (PDF/X-4) | 0.000 | 0.000 | 0.000 | nan |"
    assert rows["brochure (PDF/UA-1) and archival copy (PDF/A-3a)"].endswith("| 0.000 | 0.000 | 0.800 | nan |")
