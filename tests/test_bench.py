"""The benchmark's table: medians, ratios to the baseline (a plain WeasyPrint run of the same brochure HTML)
and to the cold build, issue 25's targets met or not, and the time outside the steps, from known timings."""

from __future__ import annotations

import math

from bench.run import summary, table, targets


def _run(wall: float, **steps: float) -> dict:
    return {"wall": wall, "peak_mb": 100.0 + wall, "steps": steps, "pages": 44}


RESULTS = {
    "cold": [_run(5.0, command=4.9, snapshot=0.1, prepare=0.3), _run(6.0), _run(5.5)],
    "correction": [_run(2.0, **{"lay-out-pages": 0.8}), _run(2.4, **{"lay-out-pages": 1.0}), _run(2.2)],
    "no-change": [_run(0.2)],
    "second correction": [],
}


def test_the_table_reports_medians_ratios_targets_and_prefect_share():
    text = table(RESULTS, naive=[_run(7.0)], baseline_s=2.5)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert "same brochure HTML, 2.50 s (median)" in text
    assert rows["cold"].startswith("| cold | 5.50 | 2.20 | 1.00 | 106 |")
    assert rows["correction"].startswith("| correction | 2.20 | 0.88 | 0.40 | 102 |")
    assert rows["no-change"].startswith("| no-change | 0.20 | 0.08 | 0.04 |")
    assert rows["naive correction (no cache)"].startswith("| naive correction (no cache) | 7.00 | 2.80 | 1.27 |")
    assert rows["cold build"] == "| cold build | cold / baseline | 2.20 | 2.50 | yes |"
    assert "| correction | correction / cold | 0.40 | 0.35 | **no** |" in text
    assert rows["no change"] == "| no change | no-change / baseline | 0.08 | 0.40 | yes |"
    assert "second correction |" not in text.split("Median time per step")[0]  # no runs: no row
    assert rows["lay-out-pages"] == "| lay-out-pages | 0.000 | 0.000 | 0.800 | nan |"
    assert rows["cold"].endswith("| 0.00 | 0% |")  # median of 4.5, 0 and 0 seconds outside the steps
    assert rows["snapshot"] == "| snapshot | 0.000 | 0.000 | 0.000 | nan |"  # median of 0.1, 0, 0
    assert rows["print file (PDF/X-4)"] == "| print file (PDF/X-4) | 0.000 | 0.000 | 0.000 | nan |"
    assert rows["brochure (PDF/UA-1) and archival copy (PDF/A-3a)"].endswith("| 0.000 | 0.000 | 0.800 | nan |")


def test_a_target_not_measured_is_not_met_and_the_summary_says_which_are():
    found = {t["target"]: t for t in targets({**RESULTS, "no-change": []}, baseline_s=2.5)}
    assert math.isnan(found["no change"]["value"]) and not found["no change"]["met"]
    yardstick = {"median_s": 2.5, "pages": 44}
    data = summary(RESULTS, [_run(7.0)], yardstick, "running Prefect server", 3)
    assert data["same_pages_as_the_cold_build"] and not data["within_targets"]
    assert [t["met"] for t in data["targets"]] == [True, False, True]
    assert data["ratio_to_baseline"]["cold"] == 5.5 / 2.5


def test_the_baseline_lays_out_the_brochure_html_a_build_lays_out(tmp_path):
    """The yardstick is the real brochure: the 2018 edition's HTML, made by the build's functions, laid out in
    one plain WeasyPrint call, has the 32 pages of the 2018 brochure, its title and no erratum."""
    from bench.baseline import brochure_html, lay_out_once
    from flows import paths

    html = brochure_html(paths.INPUTS_DIR, "hauts-de-france", 2018)
    assert "Le Fonds d'intervention régional 2018" in html and "Erratum" not in html
    (tmp_path / "brochure.html").write_text(html, encoding="utf-8")
    found = lay_out_once(tmp_path / "brochure.html")
    assert found["pages"] == 32 and found["seconds"] > 0 and found["bytes"] > 100_000
