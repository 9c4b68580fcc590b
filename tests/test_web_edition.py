"""The web edition of both real editions, built and approved like any publication, read in Debian's Chromium
(Playwright) from outputs/ and from the portal at phone (375 px) and desktop (1280 px) widths: axe-core with all
its rules finds nothing, nothing is wider than the screen (every chart's drawing, every table), the seeds' figures
are there as in the PDF, every chart has its alternative text and its data table, the PDF and the web edition
link to each other, a draft's web edition is not public.
Full-page screenshots are left in /tmp/web-edition-shots/ for a person to look at."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from flows.edition.publish import store
from flows.portal.web import create_app
from tests.browser_checks import axe_violations, outside_window, page_width
from tests.helpers import EDITOR, REGION, build_command, fir_build
from tests.portal_helpers import serving

SHOTS = Path("/tmp/web-edition-shots")
WIDTHS = (375, 1280)
# The builds are given a public portal address (a documentation domain, never contacted): the brochure
# prints it (with none, no address is printed: tests/test_web_address.py).
PORTAL_URL = "https://www.example.org/fir"
WEB_URL = PORTAL_URL + "/editions/hauts-de-france/{year}/web/"
# Figures the seeds print (shared/seeds beside the project), present in the PDF and in the web edition alike.
SEED_FIGURES = {
    2018: ["305 600 382 €", "303 543 407 €", "306 620 703 €", "99,1 %", "45 022 026 €"],
    2024: ["522,2 M€", "536,9 M€", "538,7 M€", "153 285 611 €", "28,5 %", "49,9 %"],
}
CHARTS = {2018: ["revenue-stages", "missions"], 2024: ["thematics", "history", "thematic-subset"]}


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both editions published (r1), then a 2024 draft (r2) awaiting sign-off."""
    target = tmp_path_factory.mktemp("web-edition") / "outputs"
    env = {**os.environ, "FIR_PORTAL_URL": PORTAL_URL}
    fir_build(2018, target, env=env)
    fir_build(2024, target, env=env)
    command = [*build_command(2024, target, reason="mise en page revue"), "--force"]
    draft = subprocess.run(command, capture_output=True, text=True, timeout=600, env={**env, "LOGNAME": EDITOR})
    assert draft.returncode == 0, draft.stdout + draft.stderr
    return target


@pytest.fixture(scope="module")
def portal(outputs: Path) -> Iterator[str]:
    with serving(create_app(outputs)) as base:
        yield base


def _web_file(outputs: Path, year: int) -> Path:
    return outputs / REGION / str(year) / "web" / "index.html"


def _pdf(outputs: Path, year: int) -> Path:
    return outputs / REGION / str(year) / f"fir-{REGION}-{year}.pdf"


def _axe(page: Page, name: str) -> str | None:
    """axe-core with all its rules on the page as shown (tests/browser_checks.py); its report when it found a
    violation. A full-page screenshot is kept."""
    report = axe_violations(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    return report


@pytest.mark.parametrize("year", [2018, 2024])
def test_the_web_edition_passes_axe_core_and_fits_the_screen_at_phone_and_desktop_widths(
    outputs: Path, portal: str, browser: Browser, year: int
):
    found: dict[str, str] = {}
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        for where, url in (
            ("fichier", _web_file(outputs, year).as_uri()),
            ("portail", f"{portal}/editions/{REGION}/{year}/web/"),
        ):
            page.goto(url)
            assert page.evaluate("document.documentElement.lang") == "fr"
            assert page_width(page) <= width, (where, width)  # the page never scrolls sideways
            # every chart's drawing wholly in sight: on a phone its narrow drawing (render/phone_charts.py)
            assert outside_window(page, "figure.chart img") == [], (where, width)
            drawings = page.eval_on_selector_all("figure.chart img", "images => images.map(i => i.naturalWidth)")
            assert len(drawings) == len(CHARTS[year])
            if width == 375:
                assert set(drawings) == {340}, drawings  # the phone's drawing, not the print's shrunk
            # every table fits its column, its data tables (folded under the charts) too: nothing is cut
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            assert outside_window(page, "table, tbody th, tbody td") == [], (where, width)
            cut = page.eval_on_selector_all(
                ".table-block", "blocks => blocks.filter(b => b.scrollWidth > b.clientWidth).map(b => b.ariaLabel)"
            )
            assert cut == [], (where, width)
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
            if report := _axe(page, f"web-{year}-{width}-{where}"):
                found[f"{year} {width} px {where}"] = report
        context.close()
    for name, report in found.items():
        print(f"--- {name}\n{report}")
    assert not found, f"axe-core violations: {', '.join(found)}"


@pytest.mark.parametrize("year", [2018, 2024])
def test_the_web_edition_prints_the_seeds_figures_as_the_pdf_does(outputs: Path, browser: Browser, year: int):
    page = browser.new_page()
    page.goto(_web_file(outputs, year).as_uri())
    web_text = _plain(page.locator("main").inner_text())
    pdf_text = _plain(_pdf_text(_pdf(outputs, year)))
    for figure in SEED_FIGURES[year]:
        assert figure in web_text, figure
        assert figure in pdf_text, figure
    assert page.get_by_role("heading", level=1).count() == 1
    levels = [int(tag[1]) for tag in page.eval_on_selector_all("h1, h2, h3, h4", "hs => hs.map(h => h.tagName)")]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels))
    # the skip link is the first thing the keyboard reaches, and it leads to the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    toc = page.get_by_role("navigation", name="Sommaire")
    assert toc.get_by_role("link").count() > 10
    page.close()


@pytest.mark.parametrize("year", [2018, 2024])
def test_every_chart_has_its_alternative_text_and_its_data_table(outputs: Path, browser: Browser, year: int):
    page = browser.new_page()
    page.goto(_web_file(outputs, year).as_uri())
    figures = page.locator("figure.chart")
    assert figures.count() == len(CHARTS[year])
    for key in CHARTS[year]:
        image = page.locator(f"#graphique-{key} img")
        assert (image.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
        assert len(image.get_attribute("alt") or "") > 40
        assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
        table = page.locator(f"#donnees-{key} table")
        assert not table.is_visible()  # folded under the chart until the reader opens it
        page.locator(f"#donnees-{key} summary").click()
        assert table.is_visible()
        assert table.locator("caption").inner_text().startswith("Données du graphique")
        assert table.locator("tbody tr").count() >= 2
        assert table.locator("th[scope=col]").count() >= 2 and table.locator("th[scope=row]").count() >= 2
    if year == 2018:
        cells = page.locator("#donnees-missions tbody tr").first.locator("th, td").all_text_contents()
        assert [_plain(c) for c in cells[:3]] == [
            "Mission 1 – Promotion de la santé et prévention",
            "45 022 026 €",
            "14,8 %",
        ]
    else:
        rows = page.locator("#donnees-thematics tbody tr")
        assert rows.count() == 25
        assert _plain(rows.first.locator("td").first.text_content() or "") == "153 285 611 €"
    page.close()


@pytest.mark.parametrize("year", [2018, 2024])
def test_the_pdf_and_the_web_edition_link_to_each_other(outputs: Path, portal: str, browser: Browser, year: int):
    from pypdf import PdfReader

    url = WEB_URL.format(year=year)
    pdf_text = _pdf_text(_pdf(outputs, year))
    assert f"Version web accessible : {url.removeprefix('https://')}" in pdf_text
    links = [
        annotation.get_object()["/A"].get("/URI")
        for page in PdfReader(_pdf(outputs, year)).pages
        for annotation in page.get("/Annots") or []
        if "/A" in annotation.get_object()
    ]
    assert url in links
    # the web edition's link to the brochure works beside it in outputs/ and on the portal
    web_file = _web_file(outputs, year)
    hrefs = set(re.findall(r'<a href="([^"#]+\.pdf)"', web_file.read_text(encoding="utf-8")))
    assert hrefs == {f"../fir-{REGION}-{year}.pdf"}
    assert (web_file.parent / hrefs.pop()).resolve().read_bytes() == _pdf(outputs, year).read_bytes()
    page = browser.new_page(accept_downloads=True)
    page.goto(f"{portal}/editions/{REGION}/{year}/web/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger la brochure imprimable (PDF)").first.click()
    assert Path(download.value.path()).read_bytes() == _pdf(outputs, year).read_bytes()
    # the public page offers it next to each PDF
    page.goto(f"{portal}/")
    assert page.get_by_role("link", name="Version web accessible").count() == 2
    page.close()


def test_the_portal_serves_published_web_editions_only_with_a_strict_policy(outputs: Path):
    from fastapi.testclient import TestClient

    client = TestClient(create_app(outputs))

    catalogue = store.open_catalogue(outputs)
    published = catalogue.revision(REGION, 2024, 1)
    draft = catalogue.revision(REGION, 2024, 2)
    assert published and draft and draft["status"] == store.DRAFT and "web" in draft
    assert draft["web"]["sha256"] == published["web"]["sha256"]  # same inputs, same page, byte for byte
    answer = client.get(f"/editions/{REGION}/2024/web/", follow_redirects=False)
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/html; charset=utf-8"
    assert (
        answer.content
        == _web_file(outputs, 2024).read_bytes()
        == (outputs / REGION / "2024" / published["web"]["file"]).read_bytes()
    )
    policy = answer.headers["content-security-policy"]
    assert re.fullmatch(
        r"default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; img-src data:; base-uri 'none'; "
        r"form-action 'none'; frame-ancestors 'none'",
        policy,
    ), policy
    assert client.get(f"/editions/{REGION}/2024/r1/web/", follow_redirects=False).content == answer.content
    assert client.get(f"/editions/{REGION}/2024/web", follow_redirects=False).status_code == 308
    # the draft's web edition, whatever its address, is not public
    assert client.get(f"/editions/{REGION}/2024/r2/web/", follow_redirects=False).status_code == 404
    assert client.get(f"/editions/{REGION}/2024/r2/fir-{REGION}-2024.pdf", follow_redirects=False).status_code == 404
    assert not (outputs / REGION / "2024" / "revisions" / "r2").exists()
    draft_folder = outputs / REGION / "2024" / "projets" / "r2"
    assert [p.name for p in draft_folder.iterdir()] == [f"fir-{REGION}-2024-projet.pdf"]
    assert client.get(f"/editions/{REGION}/2024/r9/web/", follow_redirects=False).status_code == 404
    assert client.get(f"/editions/{REGION}/2024/autre.pdf", follow_redirects=False).status_code == 404
