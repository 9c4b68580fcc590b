"""Benchmark of `fir build` on the 2024 brochure: cold build, correction re-run, no-change re-run, a
second correction, a naive correction (without any cache: a fresh result storage) and the baseline (a plain
single-process WeasyPrint run of the same brochure HTML, bench/baseline.py), all in the same run. Medians
over several runs; every measure is also given as a ratio to the baseline, against issue 25's targets
(TARGETS). Writes a Markdown table and a JSON file in bench/results/. Step durations come from the
command's `--timings` file (read from Prefect's task-run log, see flows/steps.py).

The first correction of an edition adds the erratum after the last content, on its last page (and its
sommaire entry, the cover's notice); a second correction only changes the erratum, with the last group of
content it shares, and the corrected part.

    .venv/bin/python bench/run.py [--runs 3] [--server]

--server starts one local Prefect server for the whole benchmark (as an agency would run it), instead
of Prefect's temporary server started by each command. One build is made first and not measured (`warm_up`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
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
STEPS = [
    "snapshot",
    "decide-revision",
    "prepare",
    "chart",
    "render-html",
    "render-web",
    "lay-out-pages",
    "bind-pdf",
    "mark-draft",
    "data-package",  # the open-data package (CSV, XLSX, datapackage.json)
    "print-pdf",
    "record-draft",
    "notify-approvers",
    "report",
]
# What each output of a build costs: the steps that make it (the brochure's layout also serves its archival copy).
OUTPUTS = {
    "brochure (PDF/UA-1) and archival copy (PDF/A-3a)": ("lay-out-pages", "bind-pdf"),
    "print file (PDF/X-4)": ("print-pdf",),  # the brochure's pages bound for the press
    "web edition (one HTML page)": ("render-web",),
    "open-data package (CSV, XLSX, datapackage.json)": ("data-package",),
}
# Issue 25's targets: (measure, of, over, at most). Each measure is a median wall time; `baseline` is the
# plain WeasyPrint run of the same brochure HTML (bench/baseline.py), measured in the same run.
TARGETS = (
    ("cold build", "cold", "baseline", 2.5),
    ("correction", "correction", "cold", 0.35),
    ("no change", "no-change", "baseline", 0.4),
)
# A build makes a draft that another person approves before the next correction, as at the agency: the
# correction's erratum (and its page) is computed against that publication.
EDITOR, APPROVER = "bench-redaction", "bench-approbation"


def run_build(inputs: Path, outputs: Path, storage: Path, env: dict[str, str], reason: str | None = None) -> dict:
    """One `fir build` in a child process: wall time, peak memory, and the steps' durations."""
    timings = Path(tempfile.mkstemp(suffix=".json")[1])
    command = [
        str(ROOT / ".venv/bin/fir"),
        "build",
        "--region",
        REGION,
        "--year",
        str(YEAR),
        "--inputs",
        str(inputs),
        "--outputs",
        str(outputs),
    ]
    if reason:
        command += ["--reason", reason]
    command += ["--timings", str(timings)]
    child_env = {**os.environ, **env, "PREFECT_LOCAL_STORAGE_PATH": str(storage), "LOGNAME": EDITOR}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out, err = process.stdout.read(), process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"fir build failed:\n{out}\n{err}")
    steps = json.loads(timings.read_text()) if timings.stat().st_size else {}
    timings.unlink()
    if built := re.search(r"— révision (\d+) \(", out):  # approved by someone else, outside the timing
        approve = [str(ROOT / ".venv/bin/fir"), "approve", REGION, str(YEAR), built.group(1), "--outputs", str(outputs)]
        subprocess.run(approve, env={**child_env, "LOGNAME": APPROVER}, check=True, capture_output=True)
    pages = re.search(r"— révision \d+ \((\d+) pages", out)
    return {
        "wall": wall,
        "peak_mb": usage.ru_maxrss / 1024,
        "steps": steps,
        "out": out,
        "pages": int(pages.group(1)) if pages else None,
    }


def correct_one_figure(inputs: Path, step: int) -> None:
    """Change one call-out figure (no total depends on it): the brochure changes in one place."""
    path = inputs / REGION / str(YEAR) / "key_figures.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[1] = str(int(fields[1].replace(" ", "")) + step)
    lines[1] = ";".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def scenario_runs(runs: int, env: dict[str, str], naive: bool) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {"cold": [], "correction": [], "no-change": [], "second correction": []}
    for index in range(runs):
        work = Path(tempfile.mkdtemp(prefix="fir-bench-"))
        inputs, outputs, storage = work / "inputs", work / "outputs", work / "results"
        shutil.copytree(ROOT / "inputs", inputs)
        results["cold"].append(run_build(inputs, outputs, storage, env))
        if naive:  # the same correction, every step computed again: a result storage of its own
            correct_one_figure(inputs, index + 1)
            results["correction"].append(
                run_build(inputs, outputs, work / f"empty-{index}", env, reason="bench: correction without cache")
            )
        else:
            correct_one_figure(inputs, index + 1)
            results["correction"].append(run_build(inputs, outputs, storage, env, reason="bench: correction"))
            results["no-change"].append(run_build(inputs, outputs, storage, env, reason="bench: no change"))
            correct_one_figure(inputs, index + 1)
            results["second correction"].append(
                run_build(inputs, outputs, storage, env, reason="bench: second correction")
            )
        shutil.rmtree(work)
    return results


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _outside_steps(run: dict) -> float:
    steps = run["steps"]
    if "command" not in steps:
        return 0.0
    return steps["command"] - sum(seconds for name, seconds in steps.items() if name != "command")


def targets(results: dict[str, list[dict]], baseline_s: float) -> list[dict]:
    """Each target of issue 25: the measured ratio, the limit, and whether it is met."""
    walls = {name: median([r["wall"] for r in runs]) for name, runs in results.items()}
    walls["baseline"] = baseline_s
    found = []
    for label, measure, over, limit in TARGETS:
        ratio = walls[measure] / walls[over] if walls.get(measure) and walls.get(over) else float("nan")
        found.append({"target": label, "ratio": f"{measure} / {over}", "value": ratio, "at_most": limit})
        found[-1]["met"] = ratio <= limit  # NaN (not measured) is never met
    return found


def table(results: dict[str, list[dict]], naive: list[dict], baseline_s: float) -> str:
    cold = median([r["wall"] for r in results["cold"]])
    rows = [
        f"Baseline: a plain single-process WeasyPrint run of the same brochure HTML, {baseline_s:.2f} s (median).",
        "",
        "| target | ratio | measured | at most | met |",
        "|---|---|---:|---:|---|",
    ]
    for found in targets(results, baseline_s):
        met = "yes" if found["met"] else "**no**"
        rows.append(f"| {found['target']} | {found['ratio']} | {found['value']:.2f} | {found['at_most']:.2f} | {met} |")
    rows += [
        "",
        "| scenario | wall (s) | × baseline | × cold | peak memory (MB) | outside the steps (s) | share |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, runs in [("naive correction (no cache)", naive), *[(k, v) for k, v in results.items()]]:
        if not runs:
            continue
        wall = median([r["wall"] for r in runs])
        # Imports, Prefect's start and shutdown: the command's time not spent in a task.
        prefect = median([_outside_steps(r) for r in runs])
        rows.append(
            f"| {name} | {wall:.2f} | {wall / baseline_s:.2f} | {wall / cold:.2f} | "
            f"{median([r['peak_mb'] for r in runs]):.0f} | {prefect:.2f} | {prefect / wall:.0%} |"
        )
    rows += [
        "",
        "Median time per step (s):",
        "",
        "| step | naive | cold | correction | second correction |",
        "|---|---:|---:|---:|---:|",
    ]
    for step in STEPS:
        cells = [
            median([r["steps"].get(step, 0.0) for r in runs])
            for runs in (naive, results["cold"], results["correction"], results["second correction"])
        ]
        rows.append(f"| {step} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    rows += ["", "Median cost per output (s):", "", "| output | naive | cold | correction | second correction |"]
    rows.append("|---|---:|---:|---:|---:|")
    for output, steps in OUTPUTS.items():
        cells = [
            median([sum(r["steps"].get(step, 0.0) for step in steps) for r in runs])
            for runs in (naive, results["cold"], results["correction"], results["second correction"])
        ]
        rows.append(f"| {output} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return "\n".join(rows)


def warm_up(env: dict[str, str]) -> None:
    """One build not measured: a server that has just started (its database, its services) answers its
    first flow runs more slowly than the agency's, which runs all year (`fir serve`)."""
    work = Path(tempfile.mkdtemp(prefix="fir-bench-"))
    shutil.copytree(ROOT / "inputs", work / "inputs")
    run_build(work / "inputs", work / "outputs", work / "results", env)
    shutil.rmtree(work)


def measure_all(runs: int, env: dict[str, str]) -> tuple[dict[str, list[dict]], list[dict], dict]:
    """The baseline first (the same brochure HTML, plain WeasyPrint), then the builds, in this one run."""
    from bench import baseline

    yardstick = baseline.measure(runs)
    warm_up(env)
    results = scenario_runs(runs, env, naive=False)
    naive = scenario_runs(runs, env, naive=True)["correction"]
    return results, naive, yardstick


def summary(results: dict[str, list[dict]], naive: list[dict], yardstick: dict, mode: str, runs: int) -> dict:
    """What bench/results/build-*.json holds: medians, the baseline, the ratios and whether each target is met."""
    baseline_s = float(yardstick["median_s"])
    walls = {name: [r["wall"] for r in found] for name, found in results.items()}
    walls["naive correction (no cache)"] = [r["wall"] for r in naive]
    cold_pages = {r["pages"] for r in results["cold"]}
    return {
        "benchmark": f"fir build, {REGION} {YEAR}",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "mode": mode,
        "runs": runs,
        "cpus": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "baseline": yardstick,
        "same_pages_as_the_cold_build": cold_pages == {yardstick["pages"]},
        "wall_s": walls,
        "median_s": {name: median(found) for name, found in walls.items()},
        "ratio_to_baseline": {name: median(found) / baseline_s for name, found in walls.items()},
        "targets": targets(results, baseline_s),
        "within_targets": all(found["met"] for found in targets(results, baseline_s)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server", action="store_true", help="one Prefect server for the whole benchmark")
    args = parser.parse_args()
    env = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    if args.server:
        from flows.deploy import prefect_server

        with prefect_server(port=4299) as url:
            env["PREFECT_API_URL"] = url
            results, naive, yardstick = measure_all(args.runs, env)
    else:
        results, naive, yardstick = measure_all(args.runs, env)
    mode = "running Prefect server" if args.server else "Prefect temporary server per command"
    text = (
        f"# fir build, {REGION} {YEAR} — {dt.datetime.now():%Y-%m-%d %H:%M}, {args.runs} runs, {mode}, "
        f"{os.cpu_count()} CPUs\n\n" + table(results, naive, float(yardstick["median_s"])) + "\n"
    )
    name = f"build-{'server' if args.server else 'temporary'}"
    out = ROOT / "bench" / "results" / f"{name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    found = summary(results, naive, yardstick, mode, args.runs)
    (out.parent / f"{name}.json").write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    print(text)
    print(f"(écrit dans {out} et {name}.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
