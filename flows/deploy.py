"""Deployments: the annual scheduled run, and the manual run used for corrections.

The annual run builds, for every region present in inputs/, the brochure of the year before the run
date — computed when the run starts (from its scheduled time), not when the deployment is created.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.schedules import Cron

from flows import paths
from flows.brochure import build_brochure
from flows.edition.ingest.snapshot import list_editions
from flows.edition.publish import revisions

TIMEZONE = "Europe/Paris"
# 15 March, 06:00 Paris time: the previous year's accounts are closed, the brochure is due in spring.
ANNUAL_CRON = "0 6 15 3 *"


def edition_year(run_time: dt.datetime) -> int:
    """The edition a run at `run_time` builds: the year before the run date, in Paris time."""
    if run_time.tzinfo is None:
        raise ValueError("run_time must carry its time zone")
    return run_time.astimezone(ZoneInfo(TIMEZONE)).year - 1


def _run_time(run_date: str | None) -> dt.datetime:
    if run_date:
        when = dt.datetime.fromisoformat(run_date)
        return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(TIMEZONE))
    from prefect.runtime import flow_run

    scheduled = flow_run.scheduled_start_time
    return scheduled if scheduled is not None else dt.datetime.now(ZoneInfo(TIMEZONE))


@flow(name="fir-annual", log_prints=True)
def annual_run(inputs: str | None = None, outputs: str | None = None, run_date: str | None = None) -> list[str]:
    """Build last year's brochure of every region that has its inputs."""
    logger = get_run_logger()
    inputs_dir = Path(inputs) if inputs else paths.INPUTS_DIR
    year = edition_year(_run_time(run_date))
    regions = sorted({region for region, _ in list_editions(inputs_dir)})
    built = []
    for region in regions:
        if (region, year) not in list_editions(inputs_dir):
            logger.warning("%s : pas de données %s dans %s, brochure non construite", region, year, inputs_dir)
            continue
        result = build_brochure(  # a draft for the approvers, who are told; a failure is told to the editors
            region=region,
            year=year,
            inputs=str(inputs_dir),
            outputs=outputs,
            trigger=revisions.SCHEDULED,
            notify_failure=True,
        )
        built.append(f"{region} {year} : {result.message}")
    return built


def deployments():
    """The two deployments `fir schedule` serves."""
    annual = annual_run.to_deployment(
        name="annuel",
        schedules=[Cron(ANNUAL_CRON, timezone=TIMEZONE)],
        description="Chaque 15 mars à 6 h (Paris) : brochure de l'année précédente, pour chaque région.",
    )
    manual = build_brochure.to_deployment(
        name="manuel",
        description="Construire ou corriger une édition : paramètres region, year et reason (obligatoire si "
        "l'édition est déjà publiée).",
    )
    return [annual, manual]


@contextmanager
def prefect_server(port: int = 4200) -> Iterator[str]:
    """A Prefect API to serve deployments against: the configured one (PREFECT_API_URL), or a local
    server started for as long as this runs (schedules need the server's scheduler)."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield configured
        return
    url = f"http://127.0.0.1:{port}/api"
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(1)
            if server.poll() is not None:
                raise RuntimeError(f"le serveur Prefect s'est arrêté au démarrage (code {server.returncode})")
        else:
            raise RuntimeError("le serveur Prefect n'a pas démarré en 3 minutes")
        os.environ["PREFECT_API_URL"] = url
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def serve() -> None:
    """Serve both deployments until interrupted; the annual one runs on its schedule."""
    from prefect import serve as prefect_serve

    with prefect_server() as url:
        print(f"API Prefect : {url} — interface : {url.removesuffix('/api')}")
        print(
            f"Déploiement « fir-annual/annuel » : cron « {ANNUAL_CRON} » ({TIMEZONE}) ; "
            "« fir-brochure/manuel » pour les corrections. Ctrl-C pour arrêter."
        )
        prefect_serve(*deployments(), pause_on_shutdown=False)
