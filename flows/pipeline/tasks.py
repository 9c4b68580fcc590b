"""The graph run by the Prefect flow: each named step a task cached on its content (its inputs, its source,
the code's digest and its own name), each part of a fan-out a task of its own (`chart-history`, `pages-12`)
whose work goes to the build's worker processes; every task reports to `steps.note`.

Parts known ahead (the charts) go to the workers at once, but the first, which the build's own process makes
meanwhile — unless the workers loaded what they need already: then the early parts of the step the part names
`meanwhile` (the brochure's groups before its first chart) are given out meanwhile. The brochure's groups are
given out as soon as they are known (`plan`: a correction's where its latest revision has them, a first build's
those that print no page number), each found in the cache or laid out by whichever is free first, a worker or
the build's own process (`shared`); the pagination asks for them in order and lays out itself what it finds
nowhere (the sommaire, with its numbers). The workers also make the steps declared `aside` (the web edition,
the data package, then the print file while the PDF is bound). A part computed ahead is taken, never asked for
again, so a cold build's tasks are never served from the cache.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from prefect import task
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE, CacheKeyFnPolicy
from prefect.futures import PrefectFuture

from flows import steps
from flows.pipeline import graph, workers
from flows.version import code_digest

# Same inputs, same step, same code, templates and libraries: same result.
CONTENT = (
    INPUTS
    + TASK_SOURCE
    + CacheKeyFnPolicy(cache_key_fn=lambda context, parameters: f"{context.task.name} {code_digest()}")
)


def _in_workers(function: Callable[..., Any], run: Callable[..., Any] = workers.run) -> Callable[..., Any]:
    """`function`, run in the build's worker processes when there are some (flows/pipeline/workers.py), as `run`
    places it: a part `shared` with the build's own process (`run_shared`), a step made aside (`run_aside`)."""

    @functools.wraps(function)
    def pooled(*args: Any, **kwargs: Any) -> Any:
        return run(functools.partial(function, **kwargs), *args) if kwargs else run(function, *args)

    return pooled


def _task(
    name: str, function: Callable[..., Any], cached: bool, run_name: str | None = None, naming: tuple[str, ...] = ()
) -> Any:
    policy = CONTENT
    for argument in naming:  # names the task run only: not part of the content
        policy = policy - argument
    return task(
        name=name,
        cache_policy=policy if cached else NO_CACHE,
        task_run_name=run_name,
        on_completion=[steps.note],
    )(function)


TASKS = {step.output: _task(step.task, step.function, step.cached) for step in graph.GRAPH if step.task}
ASIDE = {
    step.output: _task(step.task, _in_workers(step.function, workers.run_aside), step.cached)
    for step in graph.GRAPH
    if step.aside and step.task
}
PARTS = {
    step.output: _task(
        step.part.task,
        _in_workers(step.part.function, workers.run_shared if step.part.shared else workers.run),
        True,
        step.part.run_name,
        step.part.naming,
    )
    for step in graph.GRAPH
    if step.part
}


log = logging.getLogger("fir.build")


class _Aside:
    """A value a worker process is making (a step made `aside`), until a later step reads it."""

    def __init__(self, future: PrefectFuture[Any]) -> None:
        self.future = future


def _made(value: Any) -> Any:
    return value.future.result() if isinstance(value, _Aside) else value


class FlowRun:
    """One run of the graph inside the flow: the parts computed ahead, by step, until they are taken."""

    def __init__(self) -> None:
        self._ahead: dict[str, dict[str, PrefectFuture[Any]]] = {}
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self._aside: list[PrefectFuture[Any]] = []
        self._planned: set[str] = set()  # the steps whose planned parts were given out

    def run(self, values: dict[str, Any], until: str | None = None) -> dict[str, Any]:
        self._values = values
        graph.run(values, self.compute, until)
        return {name: _made(value) for name, value in values.items()}

    def compute(self, step: graph.Step, args: dict[str, Any]) -> Any:
        self._plan_ahead()
        args = {name: _made(value) for name, value in args.items()}
        if step.output in ASIDE and workers.build_pool() is not None:
            future = ASIDE[step.output].submit(**args)
            with self._lock:
                self._aside.append(future)
            return _Aside(future)
        if step.part is None:
            return TASKS[step.output](**args) if step.output in TASKS else step.function(**args)
        pool = workers.build_pool()
        side_by_side = pool is not None  # without worker processes, one part after the other
        if step.plan is not None and side_by_side and step.output not in self._planned:
            key = step.part.key
            planned = step.plan(**graph.arguments(step.plan, {**self._values, **args}))
            with self._lock:
                ahead = self._ahead.get(step.output, {})
                planned = [job for job in planned if key(*job) not in ahead]
            # The first is made here while the workers make the others, unless they loaded what it needs
            # already (started with the build): then they make all, while this process loads its next needs.
            ready = pool is not None and pool.warmed in step.part.loaded_by
            for job in planned if ready else planned[1:]:
                self._submit(step, job)
            if ready and step.part.meanwhile is not None:
                self._early(graph.STEPS[step.part.meanwhile])
        return step.function(**args, each=functools.partial(self._each, step, side_by_side))

    def _plan_ahead(self) -> None:
        """Give out, as soon as their plan can be made, the planned parts of later steps that either a worker or
        this process may make (`shared`: a correction's page groups), before the steps made aside meanwhile:
        the workers take them first."""
        if workers.build_pool() is None:
            return
        for later in graph.GRAPH:
            if later.part is None or not later.part.shared or later.plan is None or later.output in self._planned:
                continue
            names = graph.parameters(later.plan)
            if all(name in self._values for name in names):
                self._planned.add(later.output)
                for job in later.plan(**{name: _made(self._values[name]) for name in names}):
                    self._submit(later, job)

    def _early(self, later: graph.Step) -> None:
        """Give out `later`'s early parts, each its own task as when `later` asks for it, kept until it does: made
        by whichever is free first (`shared`), this process meanwhile or a worker once it has drawn the charts.
        Only time is at stake: a failure is met again, and reported, when `later` runs."""
        values = {name: _made(value) for name, value in self._values.items()}
        try:
            graph.early(later, values, lambda *job: self._submit(later, job))
        except Exception:  # see above: `later` makes again what failed, and says why
            log.debug("Parties anticipées de %s abandonnées", later.output, exc_info=True)

    def _submit(self, step: graph.Step, job: tuple[Any, ...]) -> None:
        assert step.part is not None
        key = step.part.key(*job)
        with self._lock:
            ahead = self._ahead.setdefault(step.output, {})
            if key not in ahead:
                ahead[key] = PARTS[step.output].submit(*job)

    def _each(self, step: graph.Step, side_by_side: bool, *job: Any) -> Any:
        assert step.part is not None
        with self._lock:
            future = self._ahead.get(step.output, {}).pop(step.part.key(*job), None)
        if future is not None:
            return future.result()
        if step.part.shared and workers.laying_out():  # the workers loaded what it needs, not this process
            return PARTS[step.output](*job)
        with workers.here():  # what is asked for and not made ahead, the build's own process makes
            return PARTS[step.output](*job)

    def wait(self) -> None:
        """Wait for the parts computed ahead that no step took (a group laid out before its page moved), and
        the values made aside that none read (a later step failed)."""
        with self._lock:
            left = [future for ahead in self._ahead.values() for future in ahead.values()] + self._aside
            self._ahead, self._aside = {}, []
        for future in left:
            future.wait()
