"""`fir preview` as an author uses it, in Debian's Chromium (Playwright): the real command on a copy of
inputs/ and a free loopback port. A sentence saved in one action's text appears on its page without any
click; a broken figure shows the report (file, line, column) above the last good pages; fixing it brings
the pages back. axe-core finds no accessibility violation in either state. Screenshots are left in
/tmp/preview-shots/ for a person to look at."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from flows.pipeline.workers import default_count
from tests.helpers import REGION, children_of, gone

SHOTS = Path("/tmp/preview-shots")
ACTION = "texts/actions/p1-bassin-minier-attractivite.md"
SENTENCE = "Cette phrase a été écrite pendant que l'aperçu était ouvert."
GOOD, BROKEN = "p1-bassin-minier-attractivite;;;k€;645", "p1-bassin-minier-attractivite;;;k€;12O"


@pytest.fixture
def preview(inputs_copy: Path, tmp_path: Path) -> Iterator[str]:
    """`fir preview` of 2024 on the copy, on a free port: its URL; stopped with Ctrl-C (SIGINT) afterwards."""
    command = [sys.executable, "-m", "flows.cli", "preview", "--region", REGION, "--year", "2024"]
    command += ["--inputs", str(inputs_copy), "--outputs", str(tmp_path / "outputs")]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert child.stdout is not None
    first = child.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+/", first)
    assert found, first + child.stdout.read()
    try:
        yield found.group(0)
    finally:
        helpers = children_of(child.pid)  # its layout workers (one per core), started with it
        child.send_signal(signal.SIGINT)
        output, _ = child.communicate(timeout=60)
    assert child.returncode == 0, output
    assert len(helpers) >= default_count()  # its layout workers (and multiprocessing's resource tracker)
    assert gone(helpers), "des processus de l'aperçu lui survivent"
    assert "Aperçu arrêté." in output
    assert "Traceback" not in output
    assert not (tmp_path / "outputs").exists()  # a preview is no revision: nothing written


def _page_showing(page: Page, text: str) -> Locator:
    return page.locator("li.page").filter(has_text=text)


def _shown(page: Page, li: Locator) -> None:
    """The page's image is loaded and shown (not a broken or lazy image)."""
    li.scroll_into_view_if_needed()
    image = li.locator("img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=30_000)


def _axe(page: Page, name: str, found: dict[str, str]) -> None:
    """axe-core with every one of its rules (tests/browser_checks.py), as on every other staff page."""
    from tests.browser_checks import axe_violations

    page.evaluate("window.scrollTo(0, 0)")
    if report := axe_violations(page):
        found[name] = report
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_saves_show_on_the_page_without_a_click_and_a_broken_figure_shows_the_report(
    browser: Browser, preview: str, inputs_copy: Path
):
    """(`browser` first: the preview is stopped with its page still open, listening to its events.)"""
    edition = inputs_copy / REGION / "2024"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(preview)
    status = page.get_by_role("status")
    expect(status).to_contain_text("À jour", timeout=300_000)  # the first layout of all 42 pages
    expect(page.locator("li.page")).to_have_count(42)
    found: dict[str, str] = {}
    _axe(page, "a-jour", found)

    action = _page_showing(page, "4 centres de santé créés")
    _shown(page, action)
    text = edition / ACTION
    text.write_text(
        text.read_text(encoding="utf-8").replace(
            "4 centres de santé créés ;", f"4 centres de santé créés ; {SENTENCE}"
        ),
        encoding="utf-8",
    )
    changed = _page_showing(page, SENTENCE)
    expect(changed).to_have_count(1, timeout=120_000)  # no click, no reload: the page follows the save
    _shown(page, changed)
    expect(changed).to_have_attribute("id", "page-7")  # as its footer prints it
    expect(page.locator(".summary .changed")).to_contain_text("page 7")
    page.screenshot(path=str(SHOTS / "phrase-ajoutee.png"))

    amounts = edition / "action_amounts.csv"
    amounts.write_text(amounts.read_text(encoding="utf-8").replace(GOOD, BROKEN), encoding="utf-8")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible(timeout=120_000)
    expect(alert).to_contain_text(f"{REGION}/2024/action_amounts.csv, ligne 3, colonne « Montant (amount) »")
    expect(alert).to_contain_text("valeur « 12O »")
    expect(status).to_contain_text("Données à corriger")
    expect(page.get_by_text("Dernières pages correctes")).to_be_visible()
    expect(page.locator("ol.pages.stale li.page")).to_have_count(42)  # the last good pages, below the report
    expect(_page_showing(page, SENTENCE)).to_have_count(1)
    assert alert.bounding_box()["y"] < page.locator("ol.pages").bounding_box()["y"]  # type: ignore[index]
    _axe(page, "donnees-a-corriger", found)

    amounts.write_text(amounts.read_text(encoding="utf-8").replace(BROKEN, GOOD), encoding="utf-8")
    expect(alert).to_have_count(0, timeout=120_000)
    expect(status).to_contain_text("À jour")
    expect(page.locator("ol.pages.stale")).to_have_count(0)
    expect(page.locator("li.page")).to_have_count(42)
    back = _page_showing(page, SENTENCE)
    expect(back).to_have_attribute("id", "page-7")
    _shown(page, back)
    page.screenshot(path=str(SHOTS / "corrige.png"))
    for name, report in found.items():
        print(f"--- {name}\n{report}")
    assert not found, f"axe-core violations on: {', '.join(found)}"
