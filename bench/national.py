"""Throughput of the national batch: 18 synthetic regions built with 1, 2 and 4 workers.

    .venv/bin/python bench/national.py [--regions 18] [--workers 1 2 4] [--runner process|dask]

One Prefect server serves all runs; each configuration starts from an empty cache and empty outputs.
Writes bench/results/national.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from bench.make_editions import make_editions
    from flows.deploy import prefect_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=18)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--runner", choices=["process", "dask"], default="process")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fir-national-"))
    make_editions(work / "inputs", args.regions)
    rows = []
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    with prefect_server(port=4297) as url:
        env["PREFECT_API_URL"] = url
        env["PREFECT_API_AUTH_STRING"] = os.environ["PREFECT_API_AUTH_STRING"]  # the server's credentials
        for workers in args.workers:
            outputs, storage = work / f"outputs-{workers}", work / f"results-{workers}"
            started = time.perf_counter()
            run = subprocess.run(
                [
                    str(ROOT / ".venv/bin/fir"),
                    "national",
                    "--runner",
                    args.runner,
                    "--workers",
                    str(workers),
                    "--inputs",
                    str(work / "inputs"),
                    "--outputs",
                    str(outputs),
                ],
                env={**env, "PREFECT_LOCAL_STORAGE_PATH": str(storage)},
                capture_output=True,
                text=True,
            )
            wall = time.perf_counter() - started
            if run.returncode != 0:
                print(run.stdout[-2000:], run.stderr[-2000:], file=sys.stderr)
                return 1
            built = len(re.findall(r"révision 1\)", run.stdout))
            rows.append((workers, built, wall, built / wall * 60))
            print(f"{workers} worker(s): {built} brochures in {wall:.0f} s", flush=True)
    base = rows[0][3]
    lines = [
        f"# National batch — {dt.datetime.now():%Y-%m-%d %H:%M}, {args.regions} synthetic regions, runner "
        f"{args.runner}, {os.cpu_count()} CPUs, one running Prefect server",
        "",
        "| workers | brochures | wall (s) | brochures/minute | speed-up |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {w} | {n} | {s:.1f} | {t:.1f} | {t / base:.2f}× |" for w, n, s, t in rows]
    text = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "results" / f"national-{args.runner}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
