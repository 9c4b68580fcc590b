"""Deployments: the annual scheduled run, and the manual run used for corrections.

The annual run builds, for every region present in inputs/, the brochure of the year before the run
date — computed when the run starts (from its scheduled time), not when the deployment is created.

`fir serve` runs both in a child process, `python -m flows.deploy --inputs … --outputs …` (see
flows/supervisor.py), against its Prefect server.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.schedules import Cron

from flows import paths, service, supervisor
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
            launched_from=f"{revisions.SCHEDULER} ({socket.gethostname()})"[:64],  # the audit line's « from »
        )
        built.append(f"{region} {year} : {result.message}")
    return built


def deployments(inputs: str | None = None, outputs: str | None = None):
    """The two deployments `fir serve` runs; `inputs` and `outputs` become their runs' default folders."""
    folders = {name: value for name, value in (("inputs", inputs), ("outputs", outputs)) if value is not None}
    annual = annual_run.to_deployment(
        name="annuel",
        schedules=[Cron(ANNUAL_CRON, timezone=TIMEZONE)],
        parameters=folders,
        description="Chaque 15 mars à 6 h (Paris) : brochure de l'année précédente, pour chaque région.",
    )
    manual = build_brochure.to_deployment(
        name="manuel",
        parameters={**folders, "notify_failure": True},  # launched from the portal: a failure is e-mailed
        description="Construire ou corriger une édition : paramètres region, year et reason (obligatoire si "
        "l'édition est déjà publiée).",
    )
    return [annual, manual]


@contextmanager
def prefect_server(port: int = 4200) -> Iterator[str]:
    """A Prefect API to run against: the configured one (PREFECT_API_URL, which `fir serve`'s discovery sets,
    flows/service.py), or a local server started for as long as this runs.

    That server asks for credentials, as the service's does: PREFECT_API_AUTH_STRING, else a secret made
    for it here; both are left in this process's environment, which the workers inherit (`fir national`
    sets the secret before importing Prefect, which reads it then: `service.new_auth_string`)."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield configured
        return
    auth = os.environ.setdefault("PREFECT_API_AUTH_STRING", service.new_auth_string())
    with supervisor.prefect_server_process(port, auth) as (url, _):
        os.environ["PREFECT_API_URL"] = url
        yield url


def serve_deployments(inputs: str | None = None, outputs: str | None = None) -> None:
    """Run both deployments until stopped (SIGTERM): the annual one on its schedule, both on demand.

    Prefect's `serve`, except on SIGTERM: Prefect's handler schedules the runner's stop in another thread
    and exits before it runs (« coroutine 'Runner.astop' was never awaited » in the log at every stop of
    `fir serve`); here SIGTERM leaves the runner's loop, whose own exit stops it."""
    import asyncio

    from prefect.runner import Runner

    class _Runner(Runner):
        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            raise KeyboardInterrupt  # unwinds `start`, which stops the runner on its way out

    runner = _Runner(pause_on_shutdown=False)
    for deployment in deployments(inputs, outputs):
        runner.add_deployment(deployment)
    with contextlib.suppress(KeyboardInterrupt):  # stopped: SIGTERM from `fir serve`, or Ctrl-C by hand
        asyncio.run(runner.start())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flows.deploy", description="Exécuteur des déploiements FIR (démarré par « fir serve »)."
    )
    parser.add_argument("--inputs", help="dossier des données des exécutions (défaut : inputs/)")
    parser.add_argument("--outputs", help="dossier de publication des exécutions (défaut : outputs/)")
    args = parser.parse_args(argv)
    serve_deployments(args.inputs, args.outputs)
    return 0


if __name__ == "__main__":
    # Run from the module under its real name: flows defined in `__main__` would be sent to each run's
    # process as a copy of this script instead of an import of flows.deploy.
    from flows import deploy

    sys.exit(deploy.main())
