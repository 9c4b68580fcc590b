"""What a build's steps did, from Prefect's own task-run states: which were served from the cache,
and how long each took. The flow does not carry it: every task has `on_completion=[steps.note]`, and
the command line (and through it the benchmark) listens with `record_steps`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUN_LOGGERS = ("prefect.task_runs", "prefect.flow_runs")


@dataclass
class Steps:
    """Steps in the order they finished: cached task-run names and seconds per task name."""

    cached: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    last: float = field(default_factory=time.perf_counter)

    def record(self, task: str, run: str, cached: bool) -> None:
        # A step lasts from the end of the one before to its own end: parts made side by side (charts, page
        # groups in worker processes) share the time between completions, so the steps add up to the wall time.
        now = time.perf_counter()
        self.seconds[task] = self.seconds.get(task, 0.0) + now - self.last
        self.last = now
        if cached:
            self.cached.append(run)


# The steps served from the cache, in the staff's words (`fir build`'s « Reprises du cache » line).
_CHARTS = {
    "revenue-stages": "recettes aux étapes budgétaires",
    "missions": "dépenses par mission",
    "thematics": "répartition par thématique",
    "thematic-subset": "répartition d'une partie des thématiques",
    "history": "évolution d'une édition à l'autre",
}
_ONE_STEP = {"prepare": "les données préparées", "render-html": "la brochure en HTML", "render-web": "la version web"}


def cached_in_words(cached: list[str]) -> str:
    """What a build reused from the cache, said in French: the contract of the run names (`chart-history`,
    `pages-12`) stays in the code. Page groups are named by their first page."""
    said: list[str] = []
    for name, words in _ONE_STEP.items():
        if any(run == name or run.startswith(f"{name}-") for run in cached):
            said.append(words)
    charts = [run.removeprefix("chart-") for run in cached if run.startswith("chart-")]
    if charts:
        titles = ", ".join(f"« {_CHARTS.get(key, 'graphique')} »" for key in dict.fromkeys(charts))
        said.append(f"{len(set(charts))} graphique{'s' if len(set(charts)) > 1 else ''} ({titles})")
    numbered = [int(run[6:]) for run in cached if run.startswith("pages-") and run[6:].isdigit()]
    # pages-0: laid out before its first page was known (the same wherever it starts), or the footers' sheet
    firsts, elsewhere = sorted({n for n in numbered if n > 0}), numbered.count(0)
    if count := len(firsts) + elsewhere:
        plural = "s" if count > 1 else ""
        pages = f" (commençant p. {', '.join(map(str, firsts))})" if firsts else ""
        said.append(f"{count} groupe{plural} de pages de la brochure{pages}")
    return ", ".join(said)


_listening: list[Steps] = []
_results: dict[str, set[str]] = {}  # flow run id → result files its tasks wrote or reused


def note(task: Any, task_run: Any, state: Any) -> None:
    """Prefect's completion hook of every task of the build flow (cached results included)."""
    for steps in _listening:
        steps.record(task.name, task_run.name, state.name == "Cached")
    key = getattr(getattr(state.data, "metadata", None), "storage_key", None)
    if key and Path(key).is_file():  # a persisted result (uncached tasks get a key, never a file): the
        # revision records it, so `fir gc` keeps what a correction reuses
        _results.setdefault(str(task_run.flow_run_id), set()).add(Path(key).name)


def results_of(flow_run_id: str) -> list[str]:
    """The persisted results the tasks of one flow run wrote or reused (forgotten once asked)."""
    return sorted(_results.pop(flow_run_id, set()))


class _QuietRuns(logging.Filter):
    """Keep the runs' error logs off the console: a failed build's exception reaches the command line,
    which says what is wrong (an input error without a traceback, a bug with one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name not in RUN_LOGGERS or record.levelno == logging.WARNING


@contextmanager
def record_steps() -> Iterator[Steps]:
    """Record the steps of the builds run inside the block."""
    steps, quiet = Steps(), _QuietRuns()
    consoles = list(logging.getLogger().handlers)
    _listening.append(steps)
    for console in consoles:
        console.addFilter(quiet)
    try:
        yield steps
    finally:
        _listening.remove(steps)
        for console in consoles:
            console.removeFilter(quiet)
