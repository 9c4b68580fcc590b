"""What several `fir` commands share: exit codes, Prefect's defaults, the edition's arguments, and
what is said about interrupted drafts and owed notifications."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from flows import paths

if TYPE_CHECKING:
    from flows.edition.publish.errors import Holder
    from flows.edition.publish.store import Catalogue

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_OPERATIONAL = 0, 1, 2, 3

# Offline by design: no telemetry, and enough time for Prefect's first local database set-up.
PREFECT_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}
# What a run prints to the staff's terminal (`fir build`, `fir national`): the time and the message, in
# French; not Prefect's level in English, nor the names of the run, its tasks or our loggers.
STAFF_LOG_FORMAT = {
    f"PREFECT_LOGGING_FORMATTERS_STANDARD_{key}": "%(asctime)s %(message)s"
    for key in ("FORMAT", "FLOW_RUN_FMT", "TASK_RUN_FMT")
}


def prepare_staff_run() -> None:
    """Before Prefect is imported by a command that runs builds in the staff's terminal (`fir build`, `fir
    national`): Prefect's defaults and the staff's log format, unless the environment sets them."""
    for key, value in {**PREFECT_DEFAULTS, **STAFF_LOG_FORMAT}.items():
        os.environ.setdefault(key, value)


def edition_args(p: argparse.ArgumentParser) -> None:
    """The arguments naming one edition and its folders (build, check, confirm, preview)."""
    p.add_argument("--region", required=True, help="région (nom du dossier, ex. hauts-de-france)")
    p.add_argument("--year", required=True, type=int, help="année de l'édition, ex. 2024")
    p.add_argument("--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)")
    p.add_argument("--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (défaut : outputs/)")


def say_interrupted(numbers: list[int], region: str, year: int, args: argparse.Namespace) -> None:
    """Drafts recorded by a build killed before its end (flows/edition/publish/builds.py), said to staff."""
    from flows.edition.publish import builds

    for number in numbers:
        said = builds.message(region, year, number, getattr(args, "outputs", None))
        print(f"Attention : {said}.", file=sys.stderr)


def deliver_owed(catalogue: Catalogue) -> None:
    """Send what earlier commands owe and is due (a command killed after its commit, an SMTP server that was
    down): every command that opens the catalogue does, as the service and `fir repair` do."""
    from flows.notices import outbox

    outbox.deliver(catalogue.engine)


def say_waiting(where: str, holder: Holder | None) -> None:
    """Said while a command waits for another run holding the edition's lock."""
    who = f"par le {holder.describe()}" if holder is not None else "par une autre commande"
    print(f"Édition en cours de construction {who} ({where}) : attente de sa fin…", file=sys.stderr)
