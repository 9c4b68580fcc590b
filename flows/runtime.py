"""Process settings for a build: the cyclic garbage collector's pace.

A build allocates millions of short-lived objects (Prefect's pydantic models, WeasyPrint's boxes and
drawing commands) and almost none of them die in reference cycles. With Python's default thresholds
(700, 10, 10) the collector kept walking that heap: measured on the 2024 brochure, 1.3 s of a 6.7 s
cold build and 0.5 s of a 3.2 s correction, for +8 % of peak memory saved. Collecting about 14 times
less often keeps nearly all of the gain (cold 5.3 s, correction 2.8 s) for +30 MB.
"""

from __future__ import annotations

import gc

BUILD_THRESHOLDS = (10_000, 20, 100)


def pace_garbage_collector() -> None:
    """Collect less often: called once per process by the command line and by each flow run."""
    if gc.get_threshold() != BUILD_THRESHOLDS:
        gc.set_threshold(*BUILD_THRESHOLDS)
