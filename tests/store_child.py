"""A publishing process for the store's tests, run as `python -m tests.store_child OUTPUTS TAG`: it takes
the edition's lock, recovers, and publishes the next revision of hauts-de-france 2024 with bytes derived
from TAG, then prints its number. FIR_FAILPOINT (publish/failpoints.py) kills it at a chosen instant;
FIR_START_AT (a Unix time) makes two of them start together."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from flows.edition.publish import store

REGION, YEAR = "hauts-de-france", 2024


def record(reason: str) -> dict:
    return {
        "published_at": "2025-03-15T06:00:00+01:00",
        "reason": reason,
        "trigger": "manual",
        "code_version": "test",
        "inputs_digest": reason,
        "inputs": {},
        "pages": 1,
        "warnings": [],
        "erratum": [],
        "figures": {"revenue.total": reason},
        "basis": {},
    }


def main(outputs: Path, tag: str) -> int:
    catalogue = store.open_catalogue(outputs)
    if start := os.environ.get("FIR_START_AT"):
        time.sleep(max(0.0, float(start) - time.time()))
    with catalogue.lock(REGION, YEAR, timeout=60):
        catalogue.recover(REGION, YEAR)
        history = catalogue.history(REGION, YEAR)
        number = len(history["revisions"]) + 1 if history else 1
        pdf, archive = f"%PDF-1.7 {tag} r{number}".encode() * 200, f"%PDF-1.7 archive {tag} r{number}".encode() * 200
        catalogue.publish(REGION, YEAR, "Hauts-de-France", number, pdf, archive, record(tag), [f"result-{tag}"])
    print(number)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
