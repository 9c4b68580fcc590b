"""The date written in an edition's files: fixed by the edition, never the clock, so that two builds of the
same inputs give the same bytes."""

from __future__ import annotations

import datetime as dt


def file_date(year: int) -> dt.datetime:
    """1 January after the edition's year (UTC): the archival copy's attachments, the print file's dates."""
    return dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
