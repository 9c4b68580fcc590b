"""The portal in a real browser (Debian's Chromium through Playwright): an approver reviews a correction
(its changes, the changed pages side by side) and publishes it, the public then downloads exactly the
approved bytes, a rejected draft never shows; and every page fits a phone's screen and passes axe-core
(all its rules) on a phone and on a desktop.
Screenshots of every page are left in /tmp/portal-shots/ for a person to look at."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from flows.edition.publish import store
from flows.portal.web import create_app
from tests.browser_checks import axe_violations, page_width
from tests.helpers import REGION
from tests.portal_helpers import (
    ADMIN,
    APPROVER_ACCOUNT,
    CORRECTION,
    EDITOR_ACCOUNT,
    PASSWORD,
    FakeRuns,
    copy_outputs,
    serving,
)

SHOTS = Path("/tmp/portal-shots")
EDITION = f"/staff/editions/{REGION}/2024"
EDITORS_PAGES = (
    ("editions", "/staff/editions"),
    ("edition", EDITION),
    ("text", f"{EDITION}/textes/thematics/obesite.md"),
    ("files", f"{EDITION}/fichiers"),
    ("versions", f"{EDITION}/versions"),
)


@pytest.fixture(scope="module")
def shared(portal_editions: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's copy of the editions (built once per session); tests that change them copy it again."""
    return copy_outputs(portal_editions, tmp_path_factory.mktemp("portal-browser") / "outputs")


@pytest.fixture
def outputs(shared: Path, tmp_path: Path) -> Path:
    return copy_outputs(shared, tmp_path / "outputs")


def _log_in(page: Page, base: str, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/staff/login")
    page.get_by_label("Identifiant").fill(name)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def _loaded(page: Page, alt: str) -> None:
    """The image is shown (rendered by pdftoppm on demand, not a broken image)."""
    image = page.get_by_alt_text(alt, exact=True)
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=30_000)


def test_an_approver_publishes_a_correction_and_a_rejected_draft_stays_private(
    outputs: Path, browser: Browser, tmp_path: Path
):
    with serving(create_app(outputs)) as base:
        page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
        _log_in(page, base, APPROVER_ACCOUNT)
        expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
        page.get_by_role("link", name="Projet r2").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("révision 2")
        changes = page.get_by_role("row", name="Investissements en ES et ESMS", exact=False).first
        expect(changes).to_contain_text("153 285 611")
        expect(changes).to_contain_text("153 385 611")
        expect(page.get_by_role("heading", name="Page 36", exact=True)).to_be_visible()
        _loaded(page, "Page 36 de la publication actuelle (révision 1)")
        _loaded(page, "Page 36 du projet (révision 2)")
        page.get_by_label("Commentaire").fill("chiffres vérifiés")
        page.get_by_role("button", name="Approuver et publier").click()
        expect(page.get_by_role("status")).to_contain_text("Révision approuvée")

        page.goto(f"{base}/")
        expect(page.get_by_text("Cette révision corrige 4 chiffres", exact=False)).to_be_visible()
        for number in (1, 2):
            _loaded(page, f"Couverture de la brochure FIR 2024 Hauts-de-France, révision {number}")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "public-corrected.png"), full_page=True)
        with page.expect_download() as info:
            page.get_by_role("link", name="FIR-2024-Hauts-de-France-r2.pdf").click()
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        approved = store.open_catalogue(outputs).revision(REGION, 2024, 2)
        assert approved is not None and approved["status"] == store.PUBLISHED
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == approved["pdf"]["sha256"]
        assert approved["pdf"]["sha256"] != approved["draft"]["sha256"]  # the unmarked brochure, not the proof

        page.goto(f"{base}/staff/drafts/{REGION}/2018/1")
        page.get_by_label("Motif du rejet").fill("texte de présentation à revoir")
        page.get_by_role("button", name="Rejeter").click()
        expect(page.get_by_role("status")).to_contain_text("Projet rejeté")
        page.goto(f"{base}/")
        expect(page.get_by_role("heading", name="Hauts-de-France — FIR 2024")).to_be_visible()
        assert "2018" not in page.content()
        assert page.request.get(f"{base}/download/{REGION}/2018/1").status == 404
        assert page.request.get(f"{base}/cover/{REGION}/2018/1.png").status == 404
        page.close()


def _check(page: Page, name: str, found: dict[str, str], skip: tuple[str, ...] = ()) -> None:
    """Run axe-core on the page as shown (all its rules but `skip`) and measure its width; keep what is wrong
    and a screenshot."""
    for image in page.locator("img").all()[:8]:  # the first lazy images, as a reader scrolling would load them
        image.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    width = page.viewport_size["width"] if page.viewport_size else 0
    if (laid_out := page_width(page)) > width:
        found[f"{name} (largeur)"] = f"la page fait {laid_out} px de large pour une fenêtre de {width} px"
    if report := axe_violations(page, skip):
        found[name] = report
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [375, 1280])
def test_every_page_passes_axe_core_and_fits_the_screen(outputs: Path, browser: Browser, width: int):
    """Every public and staff page, on a phone and on a desktop: no page wider than the window, and axe-core
    with all its rules (tests/browser_checks.py) finds nothing."""
    app = create_app(outputs)
    app.state.portal.runs = FakeRuns()  # the run page, without a Prefect server
    found: dict[str, str] = {}
    viewport = {"width": width, "height": 900}
    with serving(app) as base:
        context = browser.new_context(bypass_csp=True, viewport=viewport)
        page = context.new_page()
        page.goto(f"{base}/")
        _check(page, f"public-{width}", found)
        page.goto(f"{base}/nulle-part")
        _check(page, f"public-404-{width}", found)
        page.goto(f"{base}/staff/login")
        _check(page, f"login-{width}", found)
        _log_in(page, base, ADMIN, "not the password")
        _check(page, f"login-refused-{width}", found)
        _log_in(page, base, ADMIN)
        _check(page, f"dashboard-{width}", found)
        page.goto(f"{base}/staff/drafts/{REGION}/2024/2")
        _check(page, f"draft-{width}", found)
        page.goto(f"{base}/staff/drafts/{REGION}/2024/1")
        _check(page, f"published-revision-{width}", found)
        page.goto(f"{base}/staff/admin/accounts")
        _check(page, f"accounts-{width}", found)
        page.goto(f"{base}/staff/admin/audit")
        _check(page, f"audit-{width}", found)
        page.goto(f"{base}/staff/admin/reglages")
        _check(page, f"settings-{width}", found)
        for name, where in EDITORS_PAGES:  # the editors' pages (flows/portal/editions.py and its neighbours)
            page.goto(f"{base}{where}")
            _check(page, f"{name}-{width}", found)
        page.goto(f"{base}/staff/")
        page.get_by_label("Année").fill("2024")
        page.get_by_label("Motif").fill("correction d'un montant")
        page.get_by_role("button", name="Lancer").click()
        expect(page.get_by_role("status")).to_contain_text("en cours")
        # A running build's page refreshes itself every 3 s, as asked, which axe's meta-refresh rule refuses
        # (WCAG 2.2.1): the page offers to stop it, checked by every rule once stopped. (Its AAA twin,
        # meta-refresh-no-exceptions, only refuses refreshes of 20 hours or more: it runs here too.)
        _check(page, f"run-{width}", found, skip=("meta-refresh",))
        page.get_by_role("link", name="Arrêter la mise à jour automatique").click()
        expect(page.get_by_text("Mise à jour automatique arrêtée")).to_be_visible()
        _check(page, f"run-stopped-{width}", found)
        page.goto(f"{base}/staff/drafts/{REGION}/2024/9")
        _check(page, f"staff-404-{width}", found)

        editor = browser.new_context(bypass_csp=True, viewport=viewport).new_page()
        _log_in(editor, base, EDITOR_ACCOUNT)
        editor.goto(f"{base}/staff/admin/audit")
        expect(editor.get_by_role("heading", name="Accès refusé")).to_be_visible()
        _check(editor, f"forbidden-{width}", found)

        if width == 375:
            # On a phone a table is one card per row, each cell on its line under its column's name.
            cells = (
                ("/", 'table.downloads td[data-label="Révision"]'),
                ("/staff/", 'table.revisions td[data-label="Révision"]'),
                ("/staff/admin/audit", 'table td[data-label="Qui"]'),
            )
            for where, selector in cells:
                page.goto(f"{base}{where}")
                cell = page.locator(selector).first
                assert cell.evaluate("e => getComputedStyle(e).display") == "block", where
                assert cell.evaluate("e => getComputedStyle(e, '::before').content").startswith('"'), where
            # and no page with a table is wider than a small tablet's or a large one's window either
            tables = ("/", "/staff/", f"/staff/drafts/{REGION}/2024/2", "/staff/admin/accounts", "/staff/admin/audit")
            tables += tuple(where for _, where in EDITORS_PAGES)
            for between in (600, 834, 1040):
                page.set_viewport_size({"width": between, "height": 900})
                for where in tables:
                    page.goto(f"{base}{where}")
                    assert page_width(page) <= between, (where, between)
        context.close()
    for name, report in found.items():
        print(f"--- {name}\n{report}")
    assert not found, f"pages wider than the screen or axe-core violations: {', '.join(found)}"
    assert CORRECTION  # the draft page checked is the correction's
