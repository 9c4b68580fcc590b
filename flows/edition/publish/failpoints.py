"""Named instants of a publication where a test kills the process, to prove that a crash at any of them
leaves the store as it was before or as it is after (tests/test_store_faults.py). Inert unless the
environment names the point: `FIR_FAILPOINT=committed fir build …` dies by SIGKILL right after the commit.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "FIR_FAILPOINT"
POINTS = (
    "object-written",  # the published PDF is stored under its SHA-256, the archival copy not yet
    "objects-written",  # both files stored, nothing recorded
    "in-transaction",  # the revision's rows are inserted, not committed
    "committed",  # the revision is committed, no view regenerated
    "view-revision",  # revisions/rN/ is written, the current copies and manifest.json are not
    "view-current",  # the current copies are replaced, manifest.json is not
)


def reach(point: str) -> None:
    if os.environ.get(VARIABLE) == point:
        os.kill(os.getpid(), signal.SIGKILL)
