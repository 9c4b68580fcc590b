"""Values an edition types "as published" — a thematic's share (`published_share_pct`), its rounded
heading (`published_headline`) — and the amounts they derive from.

Such a value is printed only while every amount it derives from is exactly the amount it was first
printed with. Each revision records, for every published value it printed, that *basis*: the value as
typed, the amounts (by figure name) and the revision that first printed it. A correction that moves
one of those amounts makes the value stale: the value computed from the new data is printed instead,
everywhere it appears, and `fir check` says so. Before any revision exists (the first publication of
an edition reproduced from its printed brochure), a published value is kept while it is a rounding of
the data, and the validation reports each gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict


class BasisEntry(TypedDict):
    """A published value as first printed: what was typed, from which amounts, in which revision."""

    typed: str
    sources: dict[str, int]  # figure name (`thematics.cancer`, `thematics.total`) → amount in euros
    revision: int | None  # None until the revision that first prints it is numbered (publish/record.py)


Basis = Mapping[str, BasisEntry]  # published value's figure name (`thematics.cancer.share`) → its basis


@dataclass(frozen=True)
class Verdict:
    """Whether a published value is printed, and if not, why."""

    kept: bool
    stale_since: int | None = None  # the revision whose amounts it was printed with, when they changed
    changed: tuple[tuple[str, int, int], ...] = ()  # (figure, amount then, amount now)


def judge(name: str, typed: str, sources: dict[str, int], basis: Basis | None, within_rounding: bool) -> Verdict:
    """Keep a published value while its amounts are those it was first printed with; before it has a
    basis, while it is a rounding of the data (`within_rounding`)."""
    entry = (basis or {}).get(name)
    if entry is None or entry["typed"] != typed:
        return Verdict(within_rounding)
    changed = tuple(
        (figure, then, sources.get(figure, 0))
        for figure, then in sorted(entry["sources"].items())
        if sources.get(figure) != then
    )
    return Verdict(not changed, None if not changed else entry["revision"], changed)


def carried(name: str, typed: str, sources: dict[str, int], basis: Basis | None) -> BasisEntry:
    """The basis a kept value is recorded with: its first printing's, or this revision's."""
    entry = (basis or {}).get(name)
    if entry is not None and entry["typed"] == typed:
        return entry
    return BasisEntry(typed=typed, sources=dict(sources), revision=None)
