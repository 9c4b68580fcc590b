"""Benchmark of `fir build` with and without the agency's service (`fir serve`): what a command saves when
it finds the running service by itself, compared with Prefect's temporary server and with a server given
by hand in PREFECT_API_URL.

Median wall time of `fir build --force --reason "mesure"` of the 2024 brochure into a temporary outputs/
folder, N runs after one warm-up build, in three set-ups:

- temporary: no server, each command starts Prefect's temporary server;
- by-hand: a `prefect server start` the benchmark starts, PREFECT_API_URL set by hand;
- service: `fir serve` running, the command finding it through $PREFECT_HOME/fir-service.json.

Each set-up has its own PREFECT_HOME (never the user's, nor a service the user runs) and outputs/. Both
servers run for the whole benchmark and the set-ups take turns, build after build, so that a machine
whose load changes (2 shared cores) weighs on the three alike. Writes bench/results/service.json and
prints the medians.

    .venv/bin/python bench/service_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows import service, supervisor  # noqa: E402

REGION, YEAR = "hauts-de-france", 2024
TOLERANCE = 0.10  # the service case should cost at most 10 % more than the server given by hand
SETUPS = ("temporary", "by-hand", "service")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fir(*args: object) -> list[str]:
    return [sys.executable, "-m", "flows.cli", *(str(a) for a in args)]


def build(outputs: Path, env: dict[str, str]) -> float:
    """One forced `fir build` in a child process: its wall time."""
    command = fir("build", "--region", REGION, "--year", YEAR, "--outputs", outputs, "--force", "--reason", "mesure")
    started = time.perf_counter()
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        raise RuntimeError(f"fir build failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    return wall


def start_service(env: dict[str, str], outputs: Path) -> tuple[subprocess.Popen[bytes], float]:
    """`fir serve` on free ports: the process, and the seconds it took to announce itself."""
    errors = outputs.parent / "serve.err"
    errors.parent.mkdir(parents=True, exist_ok=True)
    with open(errors, "wb") as err:
        serve = subprocess.Popen(
            fir("serve", "--port", free_port(), "--prefect-port", free_port(), "--outputs", outputs),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    started = time.perf_counter()
    while service.read_discovery(Path(env["PREFECT_HOME"])) is None:
        if serve.poll() is not None:
            raise RuntimeError(f"fir serve stopped ({serve.returncode}): {errors.read_text(errors='replace')}")
        time.sleep(0.2)
    return serve, time.perf_counter() - started


def stop_service(serve: subprocess.Popen[bytes]) -> None:
    serve.send_signal(signal.SIGTERM)
    try:
        serve.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(serve.pid, signal.SIGKILL)
        serve.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fir-service-bench-"))
    base = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    base.update(PYTHONPATH=str(ROOT), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    envs = {name: {**base, "PREFECT_HOME": str(work / name / "prefect-home")} for name in SETUPS}
    walls: dict[str, list[float]] = {name: [] for name in SETUPS}
    serve = None
    try:
        port = free_port()
        command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        home = Path(envs["by-hand"]["PREFECT_HOME"])
        server = supervisor.start_child("le serveur Prefect", command, envs["by-hand"], home / "server.log")
        try:
            url = f"http://127.0.0.1:{port}/api"
            supervisor.wait_until_healthy(server, url)
            envs["by-hand"]["PREFECT_API_URL"] = url
            serve, ready = start_service(envs["service"], work / "service" / "served")
            print(f"fir serve prêt en {ready:.1f} s ; construction d'échauffement de chaque cas…", flush=True)
            for name in SETUPS:
                build(work / name / "outputs", envs[name])
            for index in range(args.runs):
                for name in SETUPS:
                    walls[name].append(build(work / name / "outputs", envs[name]))
                    print(f"  {index + 1}/{args.runs} {name} : {walls[name][-1]:.2f} s", flush=True)
        finally:
            if serve is not None:
                stop_service(serve)
            supervisor.stop_child(server)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    medians = {name: statistics.median(values) for name, values in walls.items()}
    ratio = medians["service"] / medians["by-hand"]
    result = {
        "benchmark": "fir build --force --reason mesure, hauts-de-france 2024, with and without fir serve",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "runs": args.runs,
        "wall_s": walls,
        "median_s": medians,
        "service_ready_s": ready,
        "service_over_by_hand": ratio,
        "service_within_10_percent_of_by_hand": ratio <= 1 + TOLERANCE,
    }
    out = ROOT / "bench" / "results" / "service.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print()
    print(f"Médianes sur {args.runs} constructions ({os.cpu_count()} CPU) :")
    print(f"  serveur temporaire        : {medians['temporary']:.2f} s")
    print(f"  PREFECT_API_URL à la main : {medians['by-hand']:.2f} s")
    print(f"  fir serve, trouvé seul    : {medians['service']:.2f} s")
    verdict = "oui" if result["service_within_10_percent_of_by_hand"] else "non"
    print(f"Service à moins de 10 % du serveur donné à la main : {verdict} ({ratio - 1:+.1%})")
    print(f"(écrit dans {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
