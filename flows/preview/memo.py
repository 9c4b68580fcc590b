"""Memoised steps of the preview: a page group is laid out again only when its document changed, a chart
drawn again only when its data changed. Entries a rebuild did not use are dropped after it, so memory
holds about one brochure whatever the number of saves."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Generic, TypeVar

import polars as pl

from flows.edition.charts.data import DrawnChart
from flows.edition.render import paginate
from flows.edition.render.paginate import PageGroup

T = TypeVar("T")


class Memo(Generic[T]):
    """Values by key, with the keys used since the last `prune` kept and the others dropped by it."""

    def __init__(self) -> None:
        self._values: dict[str, T] = {}
        self._used: set[str] = set()
        self.computed = 0  # how many values were computed (not found): what the tests count

    def get(self, key: str, compute: Callable[[], T]) -> T:
        self._used.add(key)
        if key not in self._values:
            self._values[key] = compute()
            self.computed += 1
        return self._values[key]

    def has(self, key: str) -> bool:
        return key in self._values

    def put(self, key: str, value: T) -> None:
        """A value computed elsewhere (a worker process): kept until a `prune` finds it unused."""
        if key not in self._values:
            self._values[key] = value
            self.computed += 1

    def prune(self) -> None:
        """Forget what the last rebuild did not use."""
        self._values = {key: value for key, value in self._values.items() if key in self._used}
        self._used = set()


LayOut = paginate.LayOut  # how a group of pages is laid out (render/paginate.py)


class LayoutMemo(Memo[PageGroup]):
    """`paginate`'s lay_out, memoised on the group's whole document (its page number and side included)."""

    def __init__(self, lay_out: LayOut) -> None:
        super().__init__()
        self._lay_out = lay_out

    def __call__(self, document: str, stubs: tuple[str, ...], first: int) -> PageGroup:
        return self.get(self.key(document, stubs), lambda: self._lay_out(document, stubs, first))

    def ahead(self, document: str, stubs: tuple[str, ...], first: int) -> PageGroup:
        """Lay out a group before `paginate` asks for it (kept like one from a worker: pruned if never asked)."""
        key = self.key(document, stubs)
        if not self.has(key):
            self.put(key, self._lay_out(document, stubs, first))
        return self._values[key]

    @staticmethod
    def key(document: str, stubs: tuple[str, ...]) -> str:
        return _digest(document, *stubs)


DrawChart = Callable[[str, pl.DataFrame, str], DrawnChart]


class ChartMemo(Memo[DrawnChart]):
    """Charts memoised on their key, colour and data (the values, not the frame object)."""

    def __init__(self, draw: DrawChart) -> None:
        super().__init__()
        self._draw = draw

    def __call__(self, key: str, data: pl.DataFrame, primary: str) -> DrawnChart:
        return self.get(self.key(key, data, primary), lambda: self._draw(key, data, primary))

    @staticmethod
    def key(key: str, data: pl.DataFrame, primary: str) -> str:
        return _digest(key, primary, str(data.schema), data.write_csv())


def _digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8"))
        hasher.update(b"\0")
    return hasher.hexdigest()
