"""Worker processes for the heavy parts — charts drawn and page groups laid out side by side — shared by the
Prefect build and the preview, so that they wait for the longest of them rather than for their sum. The
preview has one per core (its own process only schedules); a build one per core but one, its own process
laying out the brochure's pages while they make the web edition and the data package (flows/pipeline/tasks.py).

The workers are started once per build or preview ("spawn": Prefect's and the preview's threads make forking
unsafe), load what their jobs need before their first (the preview's before its first save; a build's, started with
it — by `fir build` before Prefect is imported — while the figures are read: plotnine),
ignore Ctrl-C (their owner stops them: terminated, not waited for), leave when their owner is killed, and are
only ever an optimisation: when the pool breaks (a worker killed by the system breaks it at once), the work is
done in the calling process, the same bytes.
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from flows import runtime

T = TypeVar("T")
MAX_WORKERS = 4  # beyond, the brochure has too few groups changing at once for more to help
WAIT_S = 300.0  # a worker that never answers: the work is done here
PARENT_CHECK_S = 1.0  # how often a worker checks that its owner is still there
# Parts waiting for workers that loaded what a layout needs, beyond which the build's own process takes the
# next one (it loads what a layout needs first: about as long as laying out two groups).
LAYOUT_QUEUE = 2
COUNT_VARIABLE = "FIR_WORKERS"  # the number of worker processes of a build (0: none); default one per core
# The pool itself is unusable (a worker killed, no answer): its owner goes on without it.
POOL_TROUBLE = (BrokenProcessPool, TimeoutError, OSError)

log = logging.getLogger("fir.workers")


def default_count() -> int:
    """One worker per core available to this process, up to MAX_WORKERS; none on a single core (the calling
    process works itself, without the processes' memory)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cores < 2 else min(cores, MAX_WORKERS)


def _start(warm: str, owner: int) -> None:
    """In each worker: leave Ctrl-C to the owner, go when it is gone, then load what a layout needs ("pages")
    and a chart too ("charts"), or nothing ("": each job imports what it needs)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_follow, args=(owner,), daemon=True).start()
    runtime.pace_garbage_collector()  # a layout's millions of objects, as in the build's own process
    if warm:
        from flows.pipeline import work

        work.warm_up(warm)
    gc.freeze()  # what is loaded now stays: the collections of its jobs do not walk it again


def _follow(owner: int) -> None:
    """Exit once the owner is gone, or at once if it is gone already (killed with SIGKILL: nothing told the
    worker, which would wait forever)."""
    while os.getppid() == owner:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


class Workers:
    """A pool of worker processes; `close` stops them at once. `warm`: what they load before their first job
    ("charts": WeasyPrint and plotnine, for the preview, idle until the first save; "build": plotnine, for a
    build's workers started with it, a second before its first chart (its own process lays the pages out);
    "pages": WeasyPrint only; "": nothing, for workers whose first jobs come at once and would wait for it)."""

    def __init__(self, count: int, warm: str = "charts") -> None:
        self.count = count
        self.warmed = warm  # what the workers load before their first job
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(count, mp_context=context, initializer=_start, initargs=(warm, os.getpid()))
        self._warmed: set[Callable[[], object]] = set()
        self._busy = 0  # jobs given and not done: the workers are all busy when they are as many
        self._owned = False  # the owner's process is making a part itself (one at a time: `owning`)
        self._changed = threading.Condition()  # a worker or the owner's process is free again
        for _ in range(count):  # started now, while the figures are prepared
            self._pool.submit(os.getpid)

    def submit(self, function: Callable[..., T], *args: Any) -> Future[T]:
        """`function` (module-level: the worker imports it) called with `args` in a worker."""
        with self._changed:
            self._busy += 1
        return self._send(function, *args)

    def _send(self, function: Callable[..., T], *args: Any) -> Future[T]:
        try:
            future = self._pool.submit(function, *args)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any] | None) -> None:
        with self._changed:
            self._busy -= 1
            self._changed.notify_all()

    def free_worker(self) -> bool:
        """Whether a worker has nothing to do (a job given now starts at once)."""
        with self._changed:
            return self._busy < self.count

    def queued(self) -> int:
        """How many jobs wait for a worker (given, not started: every worker busy with another)."""
        with self._changed:
            return max(self._busy - self.count, 0)

    @contextmanager
    def owning(self) -> Iterator[None]:
        """The owner's process makes a part itself inside the block, once it makes no other."""
        with self._changed:
            while self._owned:
                self._changed.wait()
            self._owned = True
        try:
            yield
        finally:
            self.release()

    def first_free(self, function: Callable[..., T], *args: Any) -> Future[T] | None:
        """Once a worker or the owner's process is free (waiting for it, without spinning): a worker's future
        for `function(*args)`, or None when the owner's process is free first (it is then held: `release`)."""
        with self._changed:
            while self._busy >= self.count and self._owned:
                self._changed.wait()
            if self._busy < self.count:
                self._busy += 1
            else:
                self._owned = True
                return None
        return self._send(function, *args)

    def release(self) -> None:
        """The owner's process, held by `first_free`, is free again."""
        with self._changed:
            self._owned = False
            self._changed.notify_all()

    def warm(self, function: Callable[[], object]) -> None:
        """`function` once in each worker, in the background: what its next jobs will need, loaded meanwhile."""
        if function not in self._warmed:
            self._warmed.add(function)
            for _ in range(self.count):
                self.submit(function)

    def map(self, function: Callable[..., T], jobs: Sequence[tuple[Any, ...]]) -> list[T]:
        """`function(*job)` for each job, side by side, in order."""
        futures = [self.submit(function, *job) for job in jobs]
        return [future.result(timeout=WAIT_S) for future in futures]

    def pids(self) -> list[int]:
        return [process.pid for process in (getattr(self._pool, "_processes", None) or {}).values() if process.pid]

    def close(self) -> None:
        """Stop the workers now, a layout under way included (Python 3.11's executor would wait for it)."""
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        manager = getattr(self._pool, "_executor_manager_thread", None)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(5)
        # Its manager thread ended, before the interpreter's exit wakes it through a pipe it closed (Python 3.11:
        # « OSError: Bad file descriptor » printed at exit, seen once when `fir preview` could not listen).
        if manager is not None:
            manager.join(5)


def start_workers(
    count: int | None, unavailable: str = "Sans processus de travail ({}) : plus lent", warm: str = "charts"
) -> Workers | None:
    """`count` workers (None: `default_count()`), or none when 0 or when they cannot be started (said once,
    as `unavailable` says it: the work goes on without them, more slowly)."""
    count = default_count() if count is None else count
    if count <= 0:
        return None
    try:
        return Workers(count, warm)
    except (OSError, AssertionError) as exc:  # AssertionError: a daemon process may not start any
        log.warning("%s", unavailable.format(exc))
        return None


# The build's pool: set for the length of one build (`for_build`) in its context, which Prefect copies into
# the threads of the tasks it submits (several builds may run at once, in threads: `fir national`).
_build_pool: ContextVar[Workers | None] = ContextVar("fir_build_pool", default=None)
_build_count: ContextVar[int | None] = ContextVar("fir_build_count", default=None)
_here: ContextVar[bool] = ContextVar("fir_here", default=False)  # this part is the build's own process's
_broken: set[int] = set()  # pools found broken (id), left for the work in the calling process
_broken_lock = threading.Lock()


def build_count() -> int:
    """The build's worker count: none inside a batch of builds (`sharing_cores`) or in a daemon process
    (which may not start any), else `FIR_WORKERS` when it is a whole number, else one per core but the one
    the build's own process keeps busy (it lays out the brochure's pages while they make the other forms)."""
    if (count := _build_count.get()) is not None:
        return count
    if multiprocessing.current_process().daemon:
        return 0
    value = os.environ.get(COUNT_VARIABLE, "").strip()
    return int(value) if value.isdigit() else max(default_count() - 1, 0)


@contextmanager
def sharing_cores() -> Iterator[None]:
    """Builds run inside the block have no worker processes of their own: a batch of builds (`fir national`)
    keeps the cores busy with editions already."""
    token = _build_count.set(0)
    try:
        yield
    finally:
        _build_count.reset(token)


_early: list[Workers] = []  # started by the command line before Prefect is imported (`start_early`)
_UNAVAILABLE = "Construction sans processus de travail ({}) : plus lente"


def start_early(warm: str = "build") -> None:
    """Start the next build's workers now, before Prefect is imported and the flow run created: they load
    what its first parts need while this process imports Prefect — plotnine (about 1 s of a core) for the
    first chart, or ("pages", a correction: its charts are in the cache) what a layout needs. The build in
    this process takes them (`for_build`); stopped at exit if none does."""
    count = build_count()
    if count > 0 and not _early and (pool := start_workers(count, _UNAVAILABLE, warm=warm)) is not None:
        _early.append(pool)
        atexit.register(pool.close)


@contextmanager
def for_build() -> Iterator[Workers | None]:
    """Worker processes for one build, stopped when it ends (none when `build_count()` is 0): those started
    early (`start_early`), or else started now, loading plotnine while the build reads and
    prepares its figures (its first chart comes a second or more later)."""
    pool = _early.pop() if _early else start_workers(build_count(), _UNAVAILABLE, warm="build")
    if pool is not None:
        atexit.unregister(pool.close)  # this build stops them
    token = _build_pool.set(pool)
    try:
        yield pool
    finally:
        _build_pool.reset(token)
        if pool is not None:
            pool.close()


def build_pool() -> Workers | None:
    """The pool of the build under way in this context, if it has one that works."""
    pool = _build_pool.get()
    return None if pool is None or id(pool) in _broken else pool


@contextmanager
def here() -> Iterator[None]:
    """The parts computed inside the block are the build's own process's share: `run` computes them here."""
    token = _here.set(True)
    try:
        yield
    finally:
        _here.reset(token)


def run(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in a worker of the build's pool, or here when there is none, when it broke (said
    once: the build goes on without it) or inside `here`."""
    pool = build_pool()
    if pool is None:
        return function(*args)
    if _here.get():
        with pool.owning():
            return function(*args)
    return _in_worker(pool, function, *args)


def laying_out() -> bool:
    """Whether the build's workers loaded what a layout needs before their first job (a correction's, started
    by `fir build`): they lay out its pages, while the build's own process, which did not, makes the rest."""
    pool = build_pool()
    return pool is not None and pool.warmed == "pages"


def run_shared(function: Callable[..., T], *args: Any) -> T:
    """As `run`, by whichever is free first: a worker of the build's pool, or the build's own process (one
    part at a time, while its flow waits for them). For parts given all at once, of which some are found in
    the cache and others not: no core waits while the others work. Workers that loaded what a layout needs
    (`laying_out`) take them while few wait for them (`LAYOUT_QUEUE`): the build's own process would load it
    first, which pays only when many groups are laid out again (a correction whose cache is gone)."""
    pool = build_pool()
    if pool is None or _here.get() or (laying_out() and pool.queued() < LAYOUT_QUEUE):
        return run(function, *args)
    try:
        future = pool.first_free(function, *args)
    except POOL_TROUBLE as exc:
        _broke(pool, exc)
        return function(*args)
    if future is None:
        try:
            return function(*args)
        finally:
            pool.release()
    return _result(pool, future, function, *args)


def run_aside(function: Callable[..., T], *args: Any) -> T:
    """A step made aside, while the brochure's pages are laid out: in a worker, unless the workers lay the pages
    out (`laying_out`) and none is free: then in the build's own process, one at a time."""
    pool = build_pool()
    if pool is None or not laying_out() or pool.free_worker():
        return run(function, *args)
    with pool.owning():
        return function(*args)


def _in_worker(pool: Workers, function: Callable[..., T], *args: Any) -> T:
    try:
        future = pool.submit(function, *args)
    except POOL_TROUBLE as exc:
        _broke(pool, exc)
        return function(*args)
    return _result(pool, future, function, *args)


def _result(pool: Workers, future: Future[T], function: Callable[..., T], *args: Any) -> T:
    """The worker's result, or `function(*args)` made here when the pool broke (said once)."""
    try:
        return future.result(timeout=WAIT_S)
    except POOL_TROUBLE as exc:
        _broke(pool, exc)
        return function(*args)


def _broke(pool: Workers, exc: BaseException) -> None:
    with _broken_lock:
        if id(pool) not in _broken:
            _broken.add(id(pool))
            log.warning("Processus de construction arrêtés (%r) : la construction continue sans eux", exc)
