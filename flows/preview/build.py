"""One rebuild of the preview: the build's own pure steps, charts and page groups memoised, and the outcome
the page shows — the pages laid out, or the problems in the inputs above the last good pages.

Nothing is written: no outputs/, no catalogue, no Prefect. The erratum is computed against the
catalogue's current publication, read once at start (as `fir check` does), so it is the one a build
would print now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from flows import paths
from flows.edition.charts.data import DrawnChart, chart_data
from flows.edition.errors import InputError
from flows.edition.french import PARIS
from flows.edition.ingest.snapshot import read_snapshot
from flows.edition.prepare import prepare
from flows.edition.publish import record, revisions
from flows.edition.publish.manifest import Manifest
from flows.edition.render.context import build_context
from flows.edition.render.html import render_html
from flows.edition.render.layout import lay_out_pages
from flows.edition.render.paginate import PageGroup, paginate, planned_documents
from flows.preview import report
from flows.preview.memo import ChartMemo, DrawChart, LayOut, LayoutMemo

if TYPE_CHECKING:
    from flows.preview.workers import Workers

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


def draw_chart(key: str, data: pl.DataFrame, primary: str) -> DrawnChart:
    """Draw one chart as the build does (SVG, text kept as text, in a data: URL)."""
    from flows.edition.charts import draw, svg  # plotnine and matplotlib: only when a chart is drawn

    svg.register_fonts(paths.FONTS_DIR)
    chart = draw.build(key, data, primary)
    return DrawnChart(chart.key, chart.alt, chart.width_cm, svg.svg_data_uri(svg.chart_svg(chart)))


def lay_out(document: str, stubs: tuple[str, ...], first: int) -> PageGroup:
    """Lay out one page group as the build does, untagged: the same pages, pixels and text, a quarter faster
    (the PDF/UA structure matters for the published file, not for a page on screen)."""
    return lay_out_pages(document, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], stubs, variant=None, texts=True)


class Previewer:
    """Rebuilds one edition on demand, keeping what did not change. Call `rebuild` from one thread."""

    def __init__(
        self,
        inputs: Path,
        region: str,
        year: int,
        history: Manifest | None = None,
        lay_out_group: LayOut = lay_out,
        draw: DrawChart = draw_chart,
        workers: Workers | None = None,
    ) -> None:
        self.inputs, self.region, self.year = inputs, region, year
        self.workers = workers  # when given: charts and page groups that changed are made side by side
        self._plan: tuple[list[int], dict[str, int]] | None = None  # the last layout: pages per group, anchors
        self.history = history  # the published revisions, for the erratum and the published values kept
        self.layouts = LayoutMemo(lay_out_group)
        self.charts = ChartMemo(draw)
        self._pdfs: dict[str, bytes] = {}  # the PDF of every group whose pages are shown
        self._lock = threading.Lock()  # guards _pdfs, read by the server's threads
        self._good: tuple[Page, ...] = ()
        self._good_at: str | None = None
        self._warnings: tuple[str, ...] = ()
        self._title = ""
        self._steps: list[tuple[str, float]] = []  # this rebuild's steps and their seconds
        self.version = 0

    def pdf(self, group: str) -> bytes | None:
        """The PDF of a group of the pages shown (None for a group no longer shown)."""
        with self._lock:
            return self._pdfs.get(group)

    def rebuild(self) -> Outcome:
        """Read the inputs again and lay out what changed; never raises for a problem in the inputs."""
        started = time.perf_counter()
        self._steps = []
        problems: list[report.Item] = []
        changed: tuple[int, ...] = ()
        try:
            shown, pdfs, warnings = self._build()
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
                self._pdfs = pdfs
            self._good, self._warnings = shown, warnings
            self._good_at = _now()
            for memo in (self.layouts, self.charts):
                memo.prune()
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

    def _step(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self._steps.append((name, now - since))
        return now

    def _build(self) -> tuple[tuple[Page, ...], dict[str, bytes], tuple[str, ...]]:
        began = time.perf_counter()
        snapshot = read_snapshot(self.inputs, self.region, self.year)
        edition = snapshot.edition
        self._title = f"{edition.meta.region_name}, {edition.meta.year}"
        began = self._step("lecture", began)
        prepared = prepare(snapshot, revisions.latest_basis(self.history))
        if prepared.report.errors:
            raise _Invalid(report.from_findings(prepared.report.errors))
        began = self._step("validation", began)
        drawn = self.charts.computed
        wanted = list(chart_data(prepared.figures))
        self._draw_aside(wanted, edition.meta.primary)
        charts = {key: self.charts(key, data, edition.meta.primary) for key, data in wanted}
        began = self._step(f"graphiques ({self.charts.computed - drawn})", began)
        latest = revisions.latest(self.history)
        number = latest["revision"] + 1 if latest else 1
        decision = revisions.Decision(True, number, REASON, REASON)
        revision = record.revision(decision, self.history, edition, prepared)
        html = render_html(build_context(edition, prepared, charts, revision), paths.TEMPLATES_DIR)
        began = self._step("html", began)
        laid = self.layouts.computed
        self._lay_out_aside(html)
        brochure = paginate(html, self.layouts, self._plan[1] if self._plan else None)  # the planned numbers
        self._plan = ([group.pages for group in brochure.groups], brochure.page_numbers)
        began = self._step(f"mise en page ({self.layouts.computed - laid} groupe(s))", began)
        shown: list[Page] = []
        pdfs: dict[str, bytes] = {}
        for group in brochure.groups:
            digest = hashlib.sha256(group.pdf).hexdigest()
            pdfs[digest] = group.pdf
            first = len(shown) + 1
            texts = group.texts or ("",) * group.pages  # a layout that gave no text (none of ours)
            shown += [Page(first + index, digest, index, text) for index, text in enumerate(texts)]
        warnings = [finding.message for finding in prepared.report.warnings]
        warnings += [w for group in brochure.groups for w in group.warnings]
        return tuple(shown), pdfs, tuple(dict.fromkeys(warnings))

    def _draw_aside(self, wanted: list[tuple[str, pl.DataFrame]], primary: str) -> None:
        """Draw the charts whose data changed in the worker processes, side by side."""
        jobs = [(key, data, primary) for key, data in wanted if not self.charts.has(ChartMemo.key(key, data, primary))]
        if self.workers is None or not jobs:
            return
        try:
            drawn = self.workers.draw(jobs)
        except Exception as exc:  # an optimisation only: the rebuild draws them itself
            self._workers_failed(exc)
            return
        for job, chart in zip(jobs, drawn, strict=True):
            self.charts.put(ChartMemo.key(*job), chart)

    def _workers_failed(self, exc: Exception) -> None:
        from flows.preview.workers import POOL_TROUBLE

        if isinstance(exc, POOL_TROUBLE):
            log.warning("Processus de l'aperçu arrêtés (%r) : l'aperçu continue sans eux, plus lentement", exc)
            self.workers = None
        else:
            log.warning("Échec dans un processus de l'aperçu : reprise ici", exc_info=exc)

    def _lay_out_aside(self, html: str) -> None:
        """Lay out in the worker processes, side by side, the groups whose document changed, at the pages where
        the last layout put them: `paginate` then finds them done, unless a group changed length (it lays out
        again, itself, what that moved)."""
        if self.workers is None or self._plan is None:
            return
        planned = planned_documents(html, *self._plan)
        jobs = [job for job in planned if not self.layouts.has(LayoutMemo.key(job[0], job[1]))]
        if not jobs:
            return
        length, first = {}, 1  # pages of the group starting at each page, in the last layout
        for count in self._plan[0]:
            length[first], first = count, first + count
        jobs.sort(key=lambda job: -length[job[2]])  # the longest first: the others share the other workers
        try:
            done = self.workers.lay_out(jobs)
        except Exception as exc:  # an optimisation only: paginate lays them out itself (and meets the same bug)
            self._workers_failed(exc)
            return
        for (document, stubs, _), group in zip(jobs, done, strict=True):
            self.layouts.put(LayoutMemo.key(document, stubs), group)


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
