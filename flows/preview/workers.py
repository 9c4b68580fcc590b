"""The preview's worker processes: page groups laid out and charts drawn side by side, one per core, so that
a save which changes several groups (a thematic's amount: its table, its two charts and the descriptions)
waits for the longest of them rather than for their sum.

The workers are started once ("spawn": the preview's threads make forking unsafe), load WeasyPrint, its
fonts and plotnine before the first save, ignore Ctrl-C (the preview stops them: terminated, not waited
for) and are only ever an optimisation: when they fail (a worker killed by the system breaks the pool at
once), the rebuild lays the groups out itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import polars as pl

from flows.edition.charts.data import DrawnChart
from flows.edition.render.paginate import PageGroup

MAX_WORKERS = 4  # beyond, the brochure has too few groups changing at once for more to help
WAIT_S = 300.0  # a worker that never answers: the rebuild lays out itself

Job = tuple[str, tuple[str, ...], int]  # a group's document, its link stubs, its first page
# The pool itself is unusable (a worker killed, no answer): the preview goes on without it.
POOL_TROUBLE = (BrokenProcessPool, TimeoutError, OSError)


def default_count() -> int:
    """One worker per core available to this process, up to MAX_WORKERS; none on a single core (the rebuild
    thread lays out itself, without the processes' memory)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cores < 2 else min(cores, MAX_WORKERS)


_WARM_UP = '<html lang="fr"><head><link rel="stylesheet" href="brochure.css"></head><body><p>Aperçu</p></body></html>'


def _start() -> None:
    """In each worker: leave Ctrl-C to the preview, then load what a layout and a chart need."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from flows.preview import build

    build.lay_out(_WARM_UP, (), 1)  # WeasyPrint, the brochure's fonts, fontconfig's cache
    from flows.edition.charts import draw  # noqa: F401  (plotnine and matplotlib: 2 s the first time)


def _lay_out(job: Job) -> PageGroup:
    from flows.preview import build

    return build.lay_out(*job)


def _draw(job: tuple[str, pl.DataFrame, str]) -> DrawnChart:
    from flows.preview import build

    return build.draw_chart(*job)


def start_workers(count: int | None) -> Workers | None:
    """`count` workers (None: `default_count()`), or none when 0 or when they cannot be started (said once:
    the preview works without them, more slowly)."""
    count = default_count() if count is None else count
    if count <= 0:
        return None
    try:
        return Workers(count)
    except OSError as exc:
        logging.getLogger("fir.preview").warning("Aperçu sans processus de mise en page (%s) : plus lent", exc)
        return None


class Workers:
    """A pool of worker processes; `close` stops them at once."""

    def __init__(self, count: int) -> None:
        self.count = count
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(count, mp_context=context, initializer=_start)
        for _ in range(count):  # started now, loading WeasyPrint while the first layout goes on
            self._pool.submit(os.getpid)

    def lay_out(self, jobs: Sequence[Job]) -> list[PageGroup]:
        """Lay out each job's group (untagged, with its pages' text, as `build.lay_out`), side by side."""
        return list(self._pool.map(_lay_out, jobs, timeout=WAIT_S))

    def draw(self, jobs: Sequence[tuple[str, pl.DataFrame, str]]) -> list[DrawnChart]:
        """Draw each chart (key, data, primary colour) as `build.draw_chart`, side by side."""
        return list(self._pool.map(_draw, jobs, timeout=WAIT_S))

    def pids(self) -> list[int]:
        return [process.pid for process in getattr(self._pool, "_processes", {}).values() if process.pid]

    def close(self) -> None:
        """Stop the workers now, a layout under way included (Python 3.11's executor would wait for it)."""
        processes = list(getattr(self._pool, "_processes", {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(5)
