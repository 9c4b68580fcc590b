"""Ledger aggregation benchmark: Polars lazy/streaming (flows.edition.ingest.ledger) against pandas.

    python bench/ledger_bench.py --lines 10000000 [--formats parquet,csv] [--repeat 3] [--dir /tmp/fir-ledger-bench]

Generates a synthetic ledger with bench/make_ledger.py (or reuses the one already in --dir), then runs
each implementation in a child process of its own, so that neither pollutes the other's memory. The
child reports the wall time of the aggregation (reading included, interpreter start and imports
excluded) and its peak resident memory, `VmHWM` of /proc/self/status at its end.

Why not `getrusage(RUSAGE_CHILDREN)` or `os.wait4`: a child's `ru_maxrss` starts from the parent's
resident size at fork time (Linux carries the old address space's high-water mark across exec), so
a parent that has just generated a ledger, or imported pandas, would report its own size for every
child. `VmHWM` belongs to the child's address space after exec and is not inherited. RUSAGE_CHILDREN
is moreover the maximum over all children waited for, so a second engine would inherit the first's
peak.

Both results are checked against the generator's expected totals, to the euro. Prints a Markdown
table and writes it to bench/results/ledger.md.

Targets (2 cores, 24 GB): 10 million lines aggregated in under 10 s, peak memory under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import make_ledger  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ledger.md"
TARGET_SECONDS = 10.0
TARGET_MB = 2048.0


# --- the two implementations (run in a child process) ---------------------------------------------


def run_polars(ledger_path: Path, nomenclature_path: Path, year: int) -> dict:
    from flows.edition.ingest import ledger, ledger_read

    nomenclature = ledger_read.read_nomenclature(nomenclature_path)
    totals = ledger.aggregate(ledger_read.scan_ledger(ledger_path), nomenclature, year)
    return {
        "ae": totals.ae,
        "cp": totals.cp,
        "missions": {str(m): [ae, cp] for m, ae, cp in totals.missions.iter_rows()},
        "thematics": dict(totals.thematics.iter_rows()),
        "negative": totals.diagnostics.negative,
        "lines": totals.diagnostics.lines,
    }


def run_pandas(ledger_path: Path, nomenclature_path: Path, year: int) -> dict:
    """The same aggregation written for pandas (pyarrow-backed dtypes, exact integer cents): group
    the big frame by (budget, destination, year) first, then work on the small result."""
    import pandas as pd
    import pyarrow as pa

    columns = ["date", "budget", "amount", "destination"]
    if ledger_path.suffix == ".csv":
        frame = pd.read_csv(
            ledger_path,
            usecols=columns,
            engine="pyarrow",
            dtype_backend="pyarrow",
            dtype=dict.fromkeys(columns, "string[pyarrow]"),
        )
        dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
        amounts = frame["amount"].astype(pd.ArrowDtype(pa.decimal128(18, 2)))
    else:
        frame = pd.read_parquet(ledger_path, columns=columns, dtype_backend="pyarrow")
        dates, amounts = frame["date"], frame["amount"]
    cents = (amounts * 100).astype("int64[pyarrow]")
    work = pd.DataFrame(
        {
            "budget": frame["budget"],
            "destination": frame["destination"],
            "year": dates.dt.year,
            "cents": cents,
            "negative": cents < 0,
        }
    )
    del frame, dates, amounts, cents
    groups = (
        work.groupby(["budget", "destination", "year"], dropna=False, observed=True, sort=False)
        .agg(lines=("cents", "size"), cents=("cents", "sum"), negative=("negative", "sum"))
        .reset_index()
    )
    lines = int(groups["lines"].sum())
    if groups["year"].isna().any() or groups["cents"].isna().any() or not groups["budget"].isin(["AE", "CP"]).all():
        raise ValueError("bad date, amount or budget in the ledger")
    groups = groups[groups["year"] == year]
    nomenclature = pd.read_csv(nomenclature_path, dtype={"destination": "string", "thematic_id": "string"})
    merged = groups.merge(nomenclature[["destination", "mission", "thematic_id"]], on="destination", how="left")
    totals = merged.groupby("budget")["cents"].sum()
    by_mission = merged.pivot_table(index="mission", columns="budget", values="cents", aggfunc="sum", fill_value=0)
    by_thematic = merged[merged["budget"] == "CP"].groupby("thematic_id")["cents"].sum()
    euros = make_ledger.euros
    return {
        "ae": euros(int(totals.get("AE", 0))),
        "cp": euros(int(totals.get("CP", 0))),
        "missions": {
            str(int(m)): [euros(int(row.get("AE", 0))), euros(int(row.get("CP", 0)))]
            for m, row in by_mission.iterrows()
        },
        "thematics": {t: euros(int(c)) for t, c in by_thematic.items()},
        "negative": int(merged["negative"].sum()),
        "lines": lines,
    }


ENGINES = {"polars": run_polars, "pandas": run_pandas}


def _status_mb(field: str) -> float | None:
    """A memory line of /proc/self/status (`VmRSS`, `VmHWM`), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def worker(engine: str, ledger_path: Path, nomenclature_path: Path, year: int) -> None:
    """Child process: import the engine's libraries, then time one aggregation; JSON on stdout."""
    if engine == "polars":
        import polars  # noqa: F401

        from flows.edition.ingest import ledger, ledger_read  # noqa: F401
    else:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
    rss_before = _status_mb("VmRSS")
    start = time.perf_counter()
    result = ENGINES[engine](ledger_path, nomenclature_path, year)
    seconds = time.perf_counter() - start
    peak = _status_mb("VmHWM")
    print(json.dumps({"seconds": seconds, "rss_before_mb": rss_before, "peak_mb": peak, "result": result}))


# --- the parent ---------------------------------------------------------------------------------


def measure(engine: str, ledger_path: Path, nomenclature_path: Path, year: int) -> dict:
    """Run one aggregation in a child process: its wall times, peak RSS (VmHWM) and result."""
    args = [sys.executable, str(Path(__file__).resolve()), "--worker", engine]
    args += ["--ledger", str(ledger_path), "--nomenclature", str(nomenclature_path), "--year", str(year)]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    process_seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{engine} worker failed ({done.returncode}):\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["process_seconds"] = process_seconds
    return report


def exact(result: dict, expected: dict) -> bool:
    return (
        result["ae"] == expected["ae"]
        and result["cp"] == expected["cp"]
        and result["missions"] == {str(m["mission"]): [m["ae"], m["cp"]] for m in expected["missions"]}
        and result["thematics"] == {t["thematic_id"]: t["amount"] for t in expected["thematics"]}
        and result["negative"] == expected["negative_lines"]
        and result["lines"] == expected["lines"]
    )


def ledger_for(folder: Path, lines: int, seed: int, year: int, fmt: str) -> make_ledger.Generated:
    """Reuse the ledger of these parameters in `folder`, or generate it."""
    path = folder / f"ledger-{lines}-s{seed}-{year}.{fmt}"
    expected_path = path.with_name(path.name + ".expected.json")
    nomenclature = folder / "nomenclature.csv"
    if path.exists() and expected_path.exists() and nomenclature.exists():
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        if (expected.get("lines"), expected.get("seed"), expected.get("year")) == (lines, seed, year):
            return make_ledger.Generated(path, nomenclature, expected_path, expected)
    return make_ledger.write_ledger(path, lines, year=year, seed=seed, csv_format=fmt == "csv")


def _fmt_s(value: float) -> str:
    return f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Polars streaming vs pandas on a synthetic FIR ledger.")
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--formats", default="parquet,csv", help="comma-separated: parquet, csv")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine and format (median time, max memory)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "fir-ledger-bench")
    parser.add_argument("--engines", default="polars,pandas")
    parser.add_argument("--worker", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--ledger", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--nomenclature", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.ledger, args.nomenclature, args.year)
        return 0

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    rows = []
    for fmt in formats:
        start = time.perf_counter()
        generated = ledger_for(args.dir, args.lines, args.seed, args.year, fmt)
        size_mb = generated.ledger.stat().st_size / 2**20
        print(f"{generated.ledger} ({size_mb:,.0f} MB, ready in {time.perf_counter() - start:.1f} s)", file=sys.stderr)
        for engine in engines:
            runs = []
            for _ in range(args.repeat):
                runs.append(measure(engine, generated.ledger, generated.nomenclature, args.year))
                print(
                    f"  {engine:7} {fmt:8} {runs[-1]['seconds']:6.2f} s  {runs[-1]['peak_mb']:7.0f} MB",
                    file=sys.stderr,
                )
            seconds = statistics.median(r["seconds"] for r in runs)
            peak = max(r["peak_mb"] for r in runs)
            rows.append(
                {
                    "engine": engine,
                    "format": fmt,
                    "size_mb": size_mb,
                    "seconds": seconds,
                    "process_seconds": statistics.median(r["process_seconds"] for r in runs),
                    "peak_mb": peak,
                    "rss_before_mb": max(r["rss_before_mb"] or 0 for r in runs),
                    "exact": all(exact(r["result"], generated.expected) for r in runs),
                    "on_target": seconds < TARGET_SECONDS and peak < TARGET_MB,
                }
            )

    header = (
        f"## Ledger aggregation, {args.lines:,} lines\n\n"
        f"{os.cpu_count()} CPU, {_total_ram_gb():.0f} GB RAM, Python {platform.python_version()}, "
        f"Polars {version('polars')}, pandas {version('pandas')}, pyarrow {version('pyarrow')}; "
        f"median time of {args.repeat} run(s), each in a child process; peak RSS = the child's VmHWM "
        "(max of the runs).\n"
        f"Target: < {TARGET_SECONDS:.0f} s and < {TARGET_MB:.0f} MB.\n\n"
    )
    table = [
        "| engine | format | file (MB) | aggregation (s) | process (s) | peak RSS (MB) "
        "| RSS after imports (MB) | totals exact | on target |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        table.append(
            f"| {r['engine']} | {r['format']} | {r['size_mb']:,.0f} | {_fmt_s(r['seconds'])} "
            f"| {_fmt_s(r['process_seconds'])} | {r['peak_mb']:,.0f} | {r['rss_before_mb']:,.0f} "
            f"| {'yes' if r['exact'] else 'NO'} | {'yes' if r['on_target'] else 'no'} |"
        )
    text = header + "\n".join(table) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0 if all(r["exact"] for r in rows) else 1


def _total_ram_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        return float("nan")


if __name__ == "__main__":
    sys.exit(main())
