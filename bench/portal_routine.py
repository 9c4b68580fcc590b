"""Benchmark of the yearly routine in the portal, as the staff meet it (issue 26): `fir serve` on a copy of inputs/,
an editor logged in with Debian's Chromium (Playwright), and two waits measured from the click:

- workbook upload → report shown: the 2024 guiding workbook (`fir workbook`), 1 000 € moved between two
  thematics (total kept) and saved by LibreOffice, sent from « Fichiers de l'édition »; from the click on
  « Envoyer le classeur » to the report in the page (accepted, a new input version). Target 2 s.
- text saved → page refreshed: one sentence added to an action's text in the browser's form; from the click on
  « Enregistrer » to the page where the text lands shown beside it again, its new image loaded. Target 2 s.

The first layout of the edition's pages (the text page opened for the first time after `fir serve` starts) is
measured too, and reported without a target (issue 25 holds that of `fir preview`).

Medians on this machine; prints them and the machine's load, writes bench/results/portal_routine.json.

    .venv/bin/python bench/portal_routine.py [--saves 7] [--uploads 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGION, YEAR = "hauts-de-france", 2024
TARGETS = {"upload": 2.0, "text": 2.0}
RESULTS = ROOT / "bench" / "results" / "portal_routine.json"
EDITOR, PASSWORD = "l.bernard", "correct horse battery staple"
TEXT = "actions/p1-bassin-minier-attractivite.md"
ANCHOR = "4 centres de santé créés ;"  # where the sentence measured is added
POLL_MS = 20  # how often the page is checked: the measure's resolution
MOVED = ("115072012", "153285611")  # two thematics' amounts: 1 000 € × i moved from the first to the second

# The page after a save: saved, the pages beside it laid out again (none pending), a page the save changed shown
# with an image that was not there before, loaded.
REFRESHED = """before => {
  const status = document.querySelector("p.notice[role=status]");
  const pages = document.querySelector("#pages .pages");
  if (!status || !status.textContent.includes("Texte enregistré") || !pages || pages.dataset.pending !== "0") {
    return false;
  }
  for (const figure of pages.querySelectorAll("figure")) {
    const img = figure.querySelector("img");
    if (figure.textContent.includes("modifiée par le dernier enregistrement") && !before.includes(img.src)) {
      if (img.complete && img.naturalWidth > 0) return true;
    }
  }
  return false;
}"""
LAID_OUT = """() => {
  const pages = document.querySelector("#pages .pages");
  const img = pages && pages.dataset.pending === "0" ? pages.querySelector("img") : null;
  return img !== null && img.complete && img.naturalWidth > 0;
}"""


def workbooks(inputs: Path, count: int) -> list[bytes]:
    """`count` workbooks of the edition, each with a different 1 000 € multiple moved between two thematics,
    saved by LibreOffice (its formulas holding values, as a desk's spreadsheet saves them)."""
    import io

    from openpyxl import load_workbook

    from flows.edition.authoring.workbook import earlier_edition, workbook_bytes
    from flows.edition.ingest.snapshot import read_edition
    from tests.office import fill, save_with_libreoffice

    written = workbook_bytes(read_edition(inputs, REGION, YEAR), earlier_edition(inputs, REGION, YEAR)[0], inputs)
    sheet = load_workbook(io.BytesIO(written))["thematics"]
    where = {str(c.value): c.coordinate for row in sheet.iter_rows() for c in row if str(c.value) in MOVED}
    assert set(where) == set(MOVED), where
    filled = {
        f"chiffres-{i}.xlsx": fill(
            written,
            {
                ("thematics", where[MOVED[0]]): int(MOVED[0]) - 1_000 * (i + 1),
                ("thematics", where[MOVED[1]]): int(MOVED[1]) + 1_000 * (i + 1),
            },
        )
        for i in range(count)
    }
    saved = save_with_libreoffice(filled)
    return [saved[name] for name in filled]


def measure_uploads(page: object, base: str, books: list[bytes], folder: Path) -> list[float]:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    seconds = []
    for i, data in enumerate(books):
        page.goto(f"{base}/staff/editions/{REGION}/{YEAR}/fichiers")
        sent = folder / f"chiffres {i}.xlsx"
        sent.write_bytes(data)
        page.get_by_label("Classeur rempli").set_input_files(str(sent))
        started = time.perf_counter()
        with page.expect_navigation(timeout=120_000):
            page.get_by_role("button", name="Envoyer le classeur").click()
        report = page.locator("#resultat-classeur")
        expect(report.get_by_role("status")).to_contain_text("Fichier enregistré", timeout=120_000)
        seconds.append(time.perf_counter() - started)
        print(f"  classeur {i + 1}/{len(books)} : {seconds[-1]:.2f} s", flush=True)
    return seconds


def measure_saves(page: object, base: str, saves: int) -> tuple[float, list[float]]:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    opened = time.perf_counter()
    page.goto(f"{base}/staff/editions/{REGION}/{YEAR}/textes/{TEXT}")
    page.wait_for_function(LAID_OUT, timeout=600_000, polling=200)
    first_layout = time.perf_counter() - opened
    print(f"  première mise en page des pages du texte : {first_layout:.1f} s", flush=True)
    area = page.get_by_label("Texte en Markdown")
    original = area.input_value()
    assert ANCHOR in original, ANCHOR
    seconds = []
    for i in range(saves):
        before = page.eval_on_selector_all("#pages img", "imgs => imgs.map(img => img.src)")
        area.fill(original.replace(ANCHOR, f"{ANCHOR} Phrase de mesure numéro {i} ajoutée à l'instant.", 1))
        started = time.perf_counter()
        with page.expect_navigation(timeout=120_000):
            page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_function(REFRESHED, arg=before, timeout=120_000, polling=POLL_MS)
        seconds.append(time.perf_counter() - started)
        print(f"  texte {i + 1}/{saves} : {seconds[-1]:.2f} s", flush=True)
        area = page.get_by_label("Texte en Markdown")
        time.sleep(0.5)
    return first_layout, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=7)
    parser.add_argument("--uploads", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from tests.helpers import CHROMIUM, CHROMIUM_ARGS
    from tests.journey_helpers import fir_serve, fir_user, log_in

    work = Path(tempfile.mkdtemp(prefix="fir-portal-bench-"))
    try:
        inputs, outputs, home = work / "inputs", work / "outputs", work / "prefect"
        shutil.copytree(ROOT / "inputs", inputs)
        books = workbooks(inputs, args.uploads)
        fir_user(outputs, EDITOR, "rédacteur", "Léa Bernard", PASSWORD)
        load_before = os.getloadavg()[0]
        with fir_serve(inputs, outputs, home) as service, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
            log_in(page, service.base, EDITOR, PASSWORD, timeout_ms=60_000)
            first_layout, saves = measure_saves(page, service.base, args.saves)
            uploads = measure_uploads(page, service.base, books, work)
            browser.close()
        load_after = os.getloadavg()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {"upload": statistics.median(uploads), "text": statistics.median(saves)}
    results = {
        "benchmark": f"the yearly routine in the portal (fir serve, Chromium), {REGION} {YEAR}",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_1min": {"before": load_before, "after": load_after},
        "upload_seconds": uploads,
        "text_seconds": saves,
        "first_layout_s": first_layout,
        "medians_s": medians,
        "targets_s": TARGETS,
        "met": {kind: medians[kind] <= TARGETS[kind] for kind in TARGETS},
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"classeur envoyé → rapport affiché : médiane {medians['upload']:.2f} s (cible {TARGETS['upload']} s)")
    print(f"texte enregistré → page actualisée : médiane {medians['text']:.2f} s (cible {TARGETS['text']} s)")
    print(f"charge (1 min) avant {load_before:.1f}, après {load_after:.1f} ; {os.cpu_count()} cœurs")
    return 0 if all(results["met"].values()) else 1  # type: ignore[union-attr]


if __name__ == "__main__":
    sys.exit(main())
