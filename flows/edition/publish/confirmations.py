"""Confirmations, in the catalogue, of what an edition carries over unchanged from an earlier one: who
re-read an item (validate/carried_over.py) and when. Written by `fir confirm` and by the draft page's
« J'ai relu et confirmé »; read by `fir check`, the build's report, the draft page and the approval.

A confirmation is for one item's key, which holds a hash of its content: changing a confirmed text makes
new keys, and its items are to confirm again. Rows are only inserted; a key confirmed twice keeps the first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flows.edition.publish.tables import confirmations
from flows.edition.validate.carried_over import Item


@dataclass(frozen=True)
class Confirmation:
    key: str
    source: str
    confirmed_by: str
    confirmed_at: str  # ISO 8601, UTC


def confirmed(engine: Engine, region: str, year: int) -> dict[str, Confirmation]:
    """Every confirmation of the edition, by item key."""
    query = sa.select(confirmations).where(confirmations.c.region == region, confirmations.c.year == year)
    with engine.connect() as conn:
        return {
            row.item_key: Confirmation(row.item_key, row.source, row.confirmed_by, row.confirmed_at)
            for row in conn.execute(query)
        }


def record(engine: Engine, region: str, year: int, items: Iterable[Item], by: str) -> list[Item]:
    """Confirm `items` as re-read by `by` now; returns those newly confirmed (the others already were)."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    asked = {item.key[:600]: item for item in items}
    wanted = dict(asked)
    for item in asked.values():  # a whole text vouches for each of its paragraphs too (Item.covers)
        for key in item.covers:
            wanted.setdefault(key[:600], dataclasses.replace(item, key=key, covers=()))
    with engine.begin() as conn:
        known = set(
            conn.scalars(
                sa.select(confirmations.c.item_key).where(
                    confirmations.c.region == region, confirmations.c.year == year
                )
            )
        )
        new = [item for key, item in wanted.items() if key not in known]
        if new:
            conn.execute(
                sa.insert(confirmations),
                [
                    {
                        "region": region,
                        "year": year,
                        "item_key": item.key[:600],
                        "source": item.source[:400],
                        "confirmed_by": by[:200],
                        "confirmed_at": at,
                    }
                    for item in new
                ],
            )
    return [item for item in new if item.key[:600] in asked]


def pending(items: Sequence[Item], done: Mapping[str, Confirmation]) -> list[Item]:
    """The items nobody has confirmed in their present content."""
    return [item for item in items if item.key[:600] not in done]
