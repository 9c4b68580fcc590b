"""What a build's steps did, read from Prefect's own task-run log: which were served from the cache,
and how long each took. Kept out of the flow: the command line (and through it the benchmark) listens.

Prefect's task engine logs "Finished in state …" for every task run at INFO level, with the task's
name; this handler records those lines while a build runs, without printing them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

TASK_RUNS = "prefect.task_runs"
FLOW_RUNS = "prefect.flow_runs"


@dataclass
class Steps:
    """Steps in the order they finished: cached task-run names and seconds per task name."""

    cached: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


class _StepHandler(logging.Handler):
    def __init__(self, steps: Steps) -> None:
        super().__init__(logging.INFO)
        self.steps = steps
        self.last = time.perf_counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith("Finished in state"):
            return
        now = time.perf_counter()
        name = getattr(record, "task_name", "?")
        # Tasks run one after the other: a step lasts from the end of the one before to its own end.
        self.steps.seconds[name] = self.steps.seconds.get(name, 0.0) + now - self.last
        self.last = now
        if message.startswith("Finished in state Cached"):
            self.steps.cached.append(getattr(record, "task_run_name", name))


class _QuietInfo(logging.Filter):
    """Keep the runs' INFO lines off the console, and their errors too: a failed build's exception
    reaches the command line, which says what is wrong (an input error without a traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name not in (TASK_RUNS, FLOW_RUNS) or record.levelno == logging.WARNING


@contextmanager
def record_steps() -> Iterator[Steps]:
    """Record the steps of the builds run inside the block."""
    steps = Steps()
    logger = logging.getLogger(TASK_RUNS)
    handler, quiet, level = _StepHandler(steps), _QuietInfo(), logger.level
    consoles = logging.getLogger().handlers
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    for console in consoles:
        console.addFilter(quiet)
    try:
        yield steps
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        for console in consoles:
            console.removeFilter(quiet)
