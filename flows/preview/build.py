"""One rebuild of the preview: the build's own graph (flows/pipeline/graph.py) run in memory up to the
laid-out brochure, charts and page groups memoised (and made in worker processes), and the outcome the
page shows — the pages laid out, or the problems in the inputs above the last good pages.

Nothing is written: no outputs/, no catalogue, no Prefect. The revision's number and erratum are a build's
now: the catalogue's revisions are read once at start (flows/pipeline/history.py, as the build does).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flows.edition.authoring.markers import without_text_mark
from flows.edition.errors import InputError
from flows.edition.french import PARIS, count_of
from flows.edition.ingest.snapshot import Snapshot, read_snapshot
from flows.edition.publish import revisions
from flows.edition.publish.manifest import Manifest
from flows.edition.render.footers import stamped
from flows.edition.render.paginate import Brochure, planned_documents, planned_independent
from flows.edition.validate.missing import IncompleteEdition, Todo
from flows.pipeline import graph, work
from flows.pipeline.nodes import ValidationFailed
from flows.pipeline.workers import POOL_TROUBLE, WAIT_S, Workers
from flows.preview import report
from flows.preview.memo import ChartMemo, DrawChart, LayOut, LayoutMemo

log = logging.getLogger("fir.preview")

OK, INPUT, BUG = "ok", "input", "bug"  # the pages are current; the inputs must be fixed; a bug of ours
REASON = "aperçu, non publié"


@dataclass(frozen=True)
class Page:
    """One laid-out page: its number in the brochure, its group's PDF (by SHA-256) and its text."""

    number: int
    group: str
    index: int  # within its group's PDF
    text: str

    @property
    def key(self) -> str:
        """Names the page's image: the same key, the same pixels (the browser may keep it cached)."""
        return f"{self.group}-{self.index}"


@dataclass(frozen=True)
class Outcome:
    """What one rebuild gives the page."""

    version: int
    status: str  # OK, INPUT or BUG
    pages: tuple[Page, ...]  # this rebuild's pages (OK), otherwise the last good ones
    problems: tuple[report.Item, ...]  # why the pages are not this rebuild's (empty when OK)
    warnings: tuple[str, ...]  # the report's warnings and the layout's, for the last good pages
    seconds: float
    finished_at: str  # local time, HH:MM:SS
    pages_at: str | None  # when the pages shown were laid out (None: never yet)
    steps: tuple[tuple[str, float], ...] = ()  # seconds per step of this rebuild, for the console
    title: str = ""  # the edition as its reader names it (« Hauts-de-France, 2024 »), once read
    changed: tuple[int, ...] = ()  # the pages this rebuild changed (none on the first one)


class _Invalid(Exception):
    """The figures do not reconcile: the report's errors, as the page shows them."""

    def __init__(self, items: list[report.Item]):
        super().__init__(items)
        self.items = items


# The console's name of the graph's steps a rebuild times (the others, instant, count in the next one).
_SHOWN = {"prepared": "validation", "html": "html"}

# Kept for the tests and callers that lay out or draw as the preview does.
draw_chart = work.draw_chart
lay_out = work.lay_out_preview


class Previewer:
    """Rebuilds one edition on demand, keeping what did not change. Call `rebuild` from one thread."""

    def __init__(
        self,
        inputs: Path,
        region: str,
        year: int,
        history: tuple[Manifest | None, Manifest | None] = (None, None),
        lay_out_group: LayOut = lay_out,
        draw: DrawChart = draw_chart,
        workers: Workers | None = None,
    ) -> None:
        self.inputs, self.region, self.year = inputs, region, year
        self.workers = workers  # when given: charts and page groups that changed are made side by side
        self._plan: tuple[list[int], dict[str, int]] | None = None  # the last layout: pages per group, anchors
        # Every revision (the next number) and the published ones (the erratum, the published values kept)
        self.every, self.history = history
        self.layouts = LayoutMemo(lay_out_group)
        self.charts = ChartMemo(draw)
        # The PDF of every group whose pages are shown, by its key (its SHA-256 and first page), with the footers'
        # sheet: stamped on demand (render/footers.py), the stamped ones kept while they are shown.
        self._pdfs: dict[str, tuple[bytes, int]] = {}
        self._sheet = b""
        self._stamped: dict[str, bytes] = {}
        self._lock = threading.Lock()  # guards the PDFs, read by the server's threads
        self._good: tuple[Page, ...] = ()
        self._good_at: str | None = None
        self._warnings: tuple[str, ...] = ()
        self._title = ""
        self._steps: list[tuple[str, float]] = []  # this rebuild's steps and their seconds
        self._since = 0.0  # when the last step timed ended
        self._values: dict[str, Any] = {}  # the graph's values of the rebuild under way
        self.version = 0

    def pdf(self, group: str) -> bytes | None:
        """The PDF of a group of the pages shown, with its footers (None for a group no longer shown)."""
        with self._lock:
            if group in self._stamped:
                return self._stamped[group]
            found, sheet = self._pdfs.get(group), self._sheet
        if found is None:
            return None
        made = stamped(found[0], sheet, found[1]) if sheet else found[0]
        with self._lock:
            if group in self._pdfs:
                self._stamped[group] = made
        return made

    def rebuild(self) -> Outcome:
        """Read the inputs again and lay out what changed; never raises for a problem in the inputs."""
        started = time.perf_counter()
        self._steps = []
        problems: list[report.Item] = []
        changed: tuple[int, ...] = ()
        try:
            shown, pdfs, sheet, warnings = self._build()
        except InputError as exc:
            status, problems = INPUT, report.from_input_error(exc)
        except _Invalid as exc:
            status, problems = INPUT, exc.items
        except Exception as exc:  # a bug: the preview goes on, the console has the traceback
            log.exception("Erreur du programme pendant la reconstruction de l'aperçu")
            status, problems = BUG, report.from_bug(exc)
        else:
            status = OK
            changed = changed_pages(self._good, shown)
            with self._lock:
                self._pdfs, self._sheet = pdfs, sheet
                self._stamped = {key: pdf for key, pdf in self._stamped.items() if key in pdfs}
            self._good, self._warnings = shown, warnings
            self._good_at = _now()
            for memo in (self.layouts, self.charts):
                memo.prune()
            if self.workers is not None:  # the first pages shown: the workers now load what a layout needs
                self.workers.warm(work.warm_up_pages)
        self.version += 1
        return Outcome(
            self.version,
            status,
            self._good,
            tuple(problems),
            self._warnings,
            time.perf_counter() - started,
            _now(),
            self._good_at,
            tuple(self._steps),
            self._title,
            changed,
        )

    def _step(self, name: str, since: float) -> None:
        self._since = time.perf_counter()
        self._steps.append((name, self._since - since))

    def _build(self) -> tuple[tuple[Page, ...], dict[str, tuple[bytes, int]], bytes, tuple[str, ...]]:
        began = time.perf_counter()
        snapshot, rewrite = texts_still_to_rewrite(read_snapshot(self.inputs, self.region, self.year, True))
        edition = snapshot.edition
        self._title = f"{edition.meta.region_name}, {edition.meta.year}"
        self._step("lecture", began)
        values: dict[str, Any] = {
            "snapshot": snapshot,
            "environ": dict(os.environ),
            "published": self.history,
            "decision": decision(self.every, edition.checksums),
            "layout_hint": self._plan[1] if self._plan else None,
        }
        self._since = time.perf_counter()
        self._values = values
        try:
            brochure: Brochure = graph.run(values, self._compute, until="brochure")["brochure"]
        except ValidationFailed as exc:
            raise _Invalid(report.from_findings(list(exc.errors))) from None
        self._plan = ([group.pages for group in brochure.groups], brochure.page_numbers)
        shown: list[Page] = []
        pdfs: dict[str, tuple[bytes, int]] = {}
        for group in brochure.groups:
            first = len(shown) + 1
            key = f"{hashlib.sha256(group.pdf).hexdigest()}_{first}"  # its pixels: its pages and their footers
            pdfs[key] = (group.pdf, first)
            texts = group.texts or ("",) * group.pages  # a layout that gave no text (none of ours)
            shown += [Page(first + index, key, index, text) for index, text in enumerate(texts)]
        warnings = [*rewrite, *(finding.message for finding in values["prepared"].report.warnings)]
        warnings += [w for group in brochure.groups for w in group.warnings]
        sheet = brochure.footers.pdf if brochure.footers is not None else b""
        return tuple(shown), pdfs, sheet, tuple(dict.fromkeys(warnings))

    def _compute(self, step: graph.Step, args: dict[str, Any]) -> Any:
        """One step of the graph, its charts and page groups from the memos (those that changed made in
        the worker processes first, side by side)."""
        if step.output == "charts":
            drawn, laid = self.charts.computed, self.layouts.computed
            self._draw_aside(args["chart_jobs"], meanwhile=self._plan is None)
            value = step.function(**args, each=self.charts)
            early = self.layouts.computed - laid  # the groups before the first chart, laid out meanwhile
            also = f", mise en page anticipée ({early} groupe(s))" if early else ""
            self._step(f"graphiques ({self.charts.computed - drawn}){also}", self._since)
        elif step.output == "brochure":
            laid = self.layouts.computed
            self._lay_out_aside(args["html"])
            value = step.function(**args, each=self.layouts)
            self._step(f"mise en page ({self.layouts.computed - laid} groupe(s))", self._since)
        else:
            value = graph.call(step, args)
            if step.output in _SHOWN:
                self._step(_SHOWN[step.output], self._since)
        return value

    def _draw_aside(self, wanted: list[tuple[Any, ...]], meanwhile: bool) -> None:
        """Draw the charts whose data changed in the worker processes, side by side; `meanwhile` (the first
        layout, no earlier one to go by), lay out here the brochure's groups before its first chart."""
        jobs = [job for job in wanted if not self.charts.has(ChartMemo.key(*job))]
        if self.workers is None or not jobs:
            return
        try:
            futures = [self.workers.submit(work.draw_chart, *job) for job in jobs]
            if meanwhile:  # after the charts, the workers load what a layout needs: they share the next groups
                self.workers.warm(work.warm_up_pages)
                self._early_pages(self.workers)
            drawn = [future.result(timeout=WAIT_S) for future in futures]
        except Exception as exc:  # an optimisation only: the rebuild draws them itself
            self._workers_failed(exc)
            return
        for job, chart in zip(jobs, drawn, strict=True):
            self.charts.put(ChartMemo.key(*job), chart)

    def _early_pages(self, workers: Workers) -> None:
        """The build's early parts of the brochure (pipeline/nodes.py `early_brochure`), laid out while the
        charts are drawn and kept in the memo, where `paginate` finds them: here, and by the worker once it has
        drawn them (whichever is free first; the longest first, so that the last, short ones are shared). Only
        time is at stake: a failure is met again, and shown, when the brochure is laid out."""
        jobs: list[tuple[str, tuple[str, ...], int]] = []
        try:
            graph.early(graph.STEPS["brochure"], self._values, lambda *job: jobs.append(job))
        except Exception:  # see above
            log.debug("Mise en page anticipée abandonnée", exc_info=True)
            return
        given = []
        for job in sorted(jobs, key=lambda job: -len(job[0])):
            if (future := workers.first_free(work.lay_out_preview, *job)) is not None:
                given.append((job, future))
                continue
            try:
                self.layouts.ahead(*job)
            except Exception:  # see above
                log.debug("Mise en page anticipée abandonnée", exc_info=True)
            finally:
                workers.release()
        for (document, stubs, _), future in given:
            try:
                self.layouts.put(LayoutMemo.key(document, stubs), future.result(timeout=WAIT_S))
            except POOL_TROUBLE:
                raise  # the workers are gone: the charts are drawn here (`_draw_aside`)
            except Exception:  # see above
                log.debug("Mise en page anticipée abandonnée", exc_info=True)

    def _workers_failed(self, exc: Exception) -> None:
        if isinstance(exc, POOL_TROUBLE):
            log.warning("Processus de l'aperçu arrêtés (%r) : l'aperçu continue sans eux, plus lentement", exc)
            self.workers = None
        else:
            log.warning("Échec dans un processus de l'aperçu : reprise ici", exc_info=exc)

    def _lay_out_aside(self, html: str) -> None:
        """Lay out side by side the groups whose document changed — the longest here, the others in the worker
        processes — at the pages where the last layout put them: `paginate` then finds them done, unless a group
        changed length (it lays out again, itself, what that moved). The first layout, with no earlier one to go by,
        lays out so the groups that print no page number, which are the same wherever they start."""
        if self.workers is None:
            return
        planned = planned_documents(html, *self._plan) if self._plan else planned_independent(html)
        jobs = [job for job in planned if not self.layouts.has(LayoutMemo.key(job[0], job[1]))]
        if not jobs:
            return
        length, first = {}, 1  # pages of the group starting at each page, in the last layout
        for count in self._plan[0] if self._plan else ():
            length[first], first = count, first + count
        # The longest here, the others shared by the workers (the first layout: the longest document).
        jobs.sort(key=lambda job: -length[job[2]] if self._plan else -len(job[0]))
        try:
            futures = [self.workers.submit(work.lay_out_preview, *job) for job in jobs[1:]]
        except Exception as exc:  # an optimisation only: paginate lays them out itself
            self._workers_failed(exc)
            return
        self.layouts.ahead(*jobs[0])  # this process's share: what goes wrong here is the rebuild's own
        try:
            done = [future.result(timeout=WAIT_S) for future in futures]
        except Exception as exc:  # paginate lays them out itself (and meets the same bug)
            self._workers_failed(exc)
            return
        for (document, stubs, _), group in zip(jobs[1:], done, strict=True):
            self.layouts.put(LayoutMemo.key(document, stubs), group)


def decision(every: Manifest | None, checksums: Mapping[str, str]) -> revisions.Decision:
    """The revision the preview shows: the number a build would give now (after a pending draft too), from
    the build's own rule, with the preview's reason."""
    return revisions.decide(every, checksums, REASON, revisions.MANUAL, force=True)


def changed_pages(before: tuple[Page, ...], after: tuple[Page, ...]) -> tuple[int, ...]:
    """The pages a rebuild changed, for the author's eye (none the first time): of each group laid out again,
    the pages whose text changed, or all of them when none did (a chart, a colour)."""
    if not before:
        return ()
    old = {page.number: page for page in before}
    again: dict[str, list[Page]] = {}
    for page in after:
        if page.number not in old or old[page.number].key != page.key:
            again.setdefault(page.group, []).append(page)
    changed: list[int] = []
    for pages_of_group in again.values():
        texts = [p.number for p in pages_of_group if p.number not in old or old[p.number].text != p.text]
        changed += texts or [p.number for p in pages_of_group]
    return tuple(sorted(changed))


def _now() -> str:
    """The hour of a layout, today, in the agency's time (not the machine's)."""
    return dt.datetime.now(PARIS).strftime("%H:%M:%S")


def texts_still_to_rewrite(snapshot: Snapshot) -> tuple[Snapshot, tuple[str, ...]]:
    """An edition whose amounts are all typed is laid out even while texts still carry their « À RÉÉCRIRE »
    mark, laid out as they will print once it is deleted, so that an editor sees the pages of each text as
    it is rewritten, not only once the last is; what is left is said as a warning. Amounts still to type stop
    the preview as they stop a build (IncompleteEdition)."""
    edition = snapshot.edition
    todo = edition.todo
    if not todo:
        return snapshot, ()
    if any(table.amounts for table in todo.tables):
        raise IncompleteEdition(f"Édition {edition.meta.region} {edition.meta.year}", todo)
    left = len(todo.texts) + sum(len(cells.lines) for table in todo.tables for cells in table.texts)
    warning = (
        f"{count_of(left, 'texte encore marqué', 'textes encore marqués')} « À RÉÉCRIRE » : les pages les "
        "montrent tels quels ; la brochure ne sera construite qu'une fois la marque supprimée de chacun "
        "(liste sur la page de l'édition, ou fir check)"
    )
    texts = {key: replace(text, body=without_text_mark(text.body)) for key, text in edition.texts.items()}
    return replace(snapshot, edition=replace(edition, texts=texts, todo=Todo())), (warning,)
