"""The pages of an edition being written, for the text editor: the preview engine of `fir preview`
(flows/preview/: the build's own graph up to the laid-out brochure, page groups and charts memoised), one
per edition, rebuilt in a thread of its own after each save so that a request never waits for a layout.

The first layout of a brochure takes a while; after it a save lays out again only the groups it changed
(about a second or two). Nothing is written: no outputs/, no catalogue, no Prefect.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine is loaded with the first preview asked for, not with the portal
    from flows.preview.build import Outcome, Page

OK = "ok"  # flows.preview.build.OK: the pages are this rebuild's

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_MARKUP = re.compile(r"<!--.*?-->|\[\[[^\]]*\]\]|\]\([^)]*\)|[#*_>`|\[\]]", re.DOTALL)
NGRAM = 4  # words in a row that place a text on a page
# A page shows the text when it prints this many of its runs of words, or this share of the best page's
# (measured on the 77 texts of 2024: a text's own pages print 6 to 280 runs, others 1 to 3 by chance).
SHARED_AT_LEAST, SHARED_PART = 4, 0.05


class EditionPreview:
    """One edition's previewer and its rebuild thread: `request()` from any thread; `outcome` is the last."""

    def __init__(self, inputs: Path, outputs: Path, region: str, year: int) -> None:
        from flows.pipeline import history
        from flows.preview.build import Previewer
        from flows.preview.server import Images

        self.region, self.year = region, year
        self.previewer = Previewer(inputs, region, year, history.existing(outputs, region, year))
        self.images = Images(self.previewer)
        self.outcome: Outcome | None = None
        self.seen: object = None  # the inputs' state the last rebuild asked for was made from
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name=f"fir-portal-preview-{region}-{year}", daemon=True)
        self._thread.start()

    def request(self) -> int:
        """Ask for a rebuild; the version the next outcome will exceed."""
        version = self.outcome.version if self.outcome else 0
        self._idle.clear()
        self._wanted.set()
        return version

    def follow(self, state: object) -> int:
        """Rebuild when the inputs changed since the last rebuild asked (an edit made on disk too); the
        version the next outcome will exceed."""
        if state != self.seen:
            self.seen = state
            return self.request()
        return self.outcome.version if self.outcome else 0

    @property
    def busy(self) -> bool:
        return not self._idle.is_set()

    def wait(self, timeout: float) -> bool:
        """Wait for the rebuilds asked so far (the tests; a caller that can wait)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            self.outcome = self.previewer.rebuild()
            if not self._wanted.is_set():
                self._idle.set()


class Previews:
    """The editions' previews of one portal, made on first use."""

    def __init__(self, inputs: Path, outputs: Path) -> None:
        self.inputs, self.outputs = inputs, outputs
        self._found: dict[tuple[str, int], EditionPreview] = {}
        self._lock = threading.Lock()

    def find(self, region: str, year: int) -> EditionPreview | None:
        """The edition's preview when someone opened it (a save then asks it to follow)."""
        with self._lock:
            return self._found.get((region, year))

    def get(self, region: str, year: int) -> EditionPreview:
        with self._lock:
            found = self._found.get((region, year))
            if found is None:
                found = self._found[(region, year)] = EditionPreview(self.inputs, self.outputs, region, year)
            return found


@dataclass(frozen=True)
class Shown:
    """What the editor shows beside a text: its pages, those the last save changed, or why none."""

    pages: tuple[Page, ...]
    changed: tuple[int, ...]
    status: str
    problems: tuple[str, ...]
    laid_out_at: str | None


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFC", text.replace("\u00ad", "")).lower()
    return _WORD.findall(plain)


def _grams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)}


def pages_of(outcome: Outcome, markdown: str) -> tuple[Page, ...]:
    """The pages where the text lands: those printing runs of its words (its figures' names and its markup
    left aside) — the page printing most of them, and those printing a good part too (a text running over
    two pages), not a page sharing a phrase by chance — plus the pages the last rebuild changed."""
    wanted = _grams(_words(_MARKUP.sub(" ", markdown)))
    shared = {page.number: len(wanted & _grams(_words(page.text))) for page in outcome.pages}
    best = max(shared.values(), default=0)
    enough = min(best, max(SHARED_AT_LEAST, best * SHARED_PART))
    return tuple(
        page for page in outcome.pages if (best and shared[page.number] >= enough) or page.number in outcome.changed
    )


def shown(preview: EditionPreview, markdown: str) -> Shown | None:
    """The pages to show beside the text, None while the first layout is being made."""
    outcome = preview.outcome
    if outcome is None:
        return None
    problems = tuple(f"{item.where} — {item.what}" if item.where else item.what for item in outcome.problems)
    return Shown(pages_of(outcome, markdown), outcome.changed, outcome.status, problems, outcome.pages_at)
