"""The national batch: many regions' editions built concurrently, on one machine or on a Dask cluster.

Each edition is the same `fir-brochure` flow, run inside a task so that a task runner spreads them:
`process` (Prefect's process pool, one machine), `thread` (for tests; charts are drawn in a lock), or
`dask` (prefect-dask, a `LocalCluster` here, any Dask cluster by address). Progress is shown on the
console and as a Prefect progress artifact, with an estimate of the time left.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import paths, prefect_api
from flows.edition.ingest.snapshot import list_editions
from flows.edition.publish import revisions
from flows.notices.people import COMMAND_LINE

NATIONAL = "fir national"  # where a national build's audit lines say it came from, after the command line


@dataclass(frozen=True)
class EditionOutcome:
    region: str
    year: int
    revision: int
    published: bool
    message: str
    seconds: float


@task(name="edition", cache_policy=NO_CACHE, task_run_name="edition-{region}-{year}")
def build_edition(
    region: str,
    year: int,
    inputs: str,
    outputs: str,
    reason: str | None,
    trigger: str,
    launched_by: str | None = None,
) -> EditionOutcome:
    """Build one edition as a draft (the whole fir-brochure flow, as a nested run), its audit line saying
    it came from a national build (and who ran it, `launched_by`)."""
    from flows.brochure import build_brochure
    from flows.pipeline.workers import sharing_cores

    started = time.perf_counter()
    prefect_api.loss_said_by_the_owner()  # by the command's own process, not again by each edition's
    with sharing_cores():  # the batch keeps the cores busy with editions: no worker processes per build
        result = build_brochure(
            region=region,
            year=year,
            inputs=inputs,
            outputs=outputs,
            reason=reason,
            trigger=trigger,
            launched_by=launched_by,
            launched_from=f"{COMMAND_LINE}, {NATIONAL} ({socket.gethostname()})"[:64],
        )
    return EditionOutcome(
        region, year, result.revision, result.published, result.message, time.perf_counter() - started
    )


def task_runner(kind: str, workers: int, address: str | None = None):
    """The Prefect task runner for `kind`: process, thread or dask."""
    if kind == "process":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers)
    if kind == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
        )
    raise ValueError(f"exécuteur inconnu : {kind} (process, thread ou dask)")


def eta_text(done: int, total: int, elapsed: float) -> str:
    """`12/18 éditions — reste ≈ 40 s`: progress with the time left estimated from the pace so far."""
    if done == 0:
        return f"0/{total} éditions"
    left = elapsed / done * (total - done)
    return f"{done}/{total} éditions — reste ≈ {left:.0f} s" if done < total else f"{total}/{total} éditions"


@flow(name="fir-national", log_prints=True)
def national_run(
    editions: list[str] | None = None,
    inputs: str | None = None,
    outputs: str | None = None,
    reason: str | None = None,
    trigger: str = revisions.SCHEDULED,
    launched_by: str | None = None,
) -> list[EditionOutcome]:
    """Build every edition named `region/year` (default: all editions of inputs/) concurrently; `launched_by`:
    who ran it (the system user of `fir national`), named in each build's audit line."""
    from prefect.artifacts import create_progress_artifact, update_progress_artifact
    from prefect.futures import as_completed
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    logger = get_run_logger()
    inputs_dir = str(Path(inputs) if inputs else paths.INPUTS_DIR)
    outputs_dir = str(Path(outputs) if outputs else paths.OUTPUTS_DIR)
    wanted = (
        [(e.split("/")[0], int(e.split("/")[1])) for e in editions] if editions else list_editions(Path(inputs_dir))
    )
    # a sync caller gets the UUID itself (async_dispatch's return type also names the coroutine)
    artifact = cast(
        UUID,
        create_progress_artifact(
            progress=0.0, key="fir-national", description=f"Construction nationale : {len(wanted)} éditions"
        ),
    )
    started = time.perf_counter()
    outcomes: list[EditionOutcome] = []
    futures = [
        build_edition.submit(region, year, inputs_dir, outputs_dir, reason, trigger, launched_by)
        for region, year in wanted
    ]
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        progress = bar.add_task("Brochures", total=len(wanted))
        for future in as_completed(futures):
            outcomes.append(future.result())
            bar.advance(progress)
            text = eta_text(len(outcomes), len(wanted), time.perf_counter() - started)
            update_progress_artifact(
                artifact_id=artifact, progress=100.0 * len(outcomes) / len(wanted), description=text
            )
            logger.info("%s %s : %s (%s)", outcomes[-1].region, outcomes[-1].year, outcomes[-1].message, text)
    return sorted(outcomes, key=lambda o: (o.region, o.year))
