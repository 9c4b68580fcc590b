"""`fir preview`: check the command line, read the current publication (read-only), start the server and
say where it is. Exit codes as every `fir` command: 1 an edition that is not there, 2 a bad command line
(`--host`/`--port` that cannot be used), 0 after Ctrl-C."""

from __future__ import annotations

import contextlib
import logging
import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.pipeline.workers import Workers

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


def run(
    region: str,
    year: int,
    inputs: Path,
    outputs: Path,
    host: str,
    port: int,
    open_browser: bool,
    workers: int | None = None,
) -> int:
    """Serve the preview of one edition until Ctrl-C; `workers`: processes laying out side by side (None: one
    per core but the one this process keeps busy laying out pages, as a build's; 0: none). The workers start
    first, before this process imports what it needs: they load plotnine meanwhile, for the first charts."""
    pool = _start_workers(workers)
    try:
        from flows.commands import suggest
        from flows.edition.ingest.meta import META_FILE
        from flows.edition.ingest.snapshot import REFERENCE_DIR
        from flows.pipeline import history
        from flows.preview import server
        from flows.preview.build import Previewer

        folder = inputs / region / str(year)
        if not (folder / META_FILE).is_file():
            print(
                f"Pas d'édition {region} {year} dans {inputs} (il faut un dossier {folder} avec son {META_FILE}). "
                f"Les éditions présentes : {suggest('list', inputs=inputs)}",
                file=sys.stderr,
            )
            return EXIT_INPUT
        try:
            sock = server.listen(host, port)
        except OSError as exc:
            print(
                f"Impossible d'écouter sur {host}:{port} ({exc.strerror or exc}) : choisir un autre --port "
                "(ou 0, le défaut, pour un port libre).",
                file=sys.stderr,
            )
            return EXIT_USAGE
        bound = sock.getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{bound}/"
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        # The revisions, read once and never written: the number and erratum a build would print now.
        revisions = history.existing(outputs, region, year)
        previewer = Previewer(inputs, region, year, revisions, workers=pool)

        def ready() -> None:
            print(f"Aperçu de {region} {year} : {url}  (Ctrl-C pour arrêter)", flush=True)
            print(f"Surveillé : {inputs / region}, {inputs / REFERENCE_DIR}", flush=True)
            if open_browser:
                webbrowser.open(url)

        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the normal way to stop the preview
            server.serve(previewer, [inputs / region, inputs / REFERENCE_DIR], sock, f"{region}, {year}", ready)
    finally:
        if pool is not None:
            pool.close()
    print("Aperçu arrêté.", flush=True)
    return EXIT_OK


def _start_workers(workers: int | None) -> Workers | None:
    """Loaded with plotnine only: they draw the first layout's charts while this process lays out the pages
    before them; what a layout needs they load once the charts are drawn (Previewer), for the next groups.
    Measured on 2 cores: a first layout of 3,4 s with one worker, 4,1 s with two (three processes on two cores)."""
    from flows.pipeline.workers import default_count, start_workers

    count = max(default_count() - 1, 0) if workers is None else workers
    return start_workers(count, "Aperçu sans processus de mise en page ({}) : plus lent", warm="build")
