"""« Guide de l'édition annuelle » (/staff/guide, flows/portal/guide.py): every logged-in role reads it, the
public does not; it is linked from the staff's menu; each screenshot it shows is served, small, and taken by
the yearly routine's browser test; the page passes axe-core (all rules) and fits the screen at 375 and 1280 px.
Screenshots of the page are left in /tmp/guide-shots/ for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from flows.edition.publish import store
from flows.portal import accounts, guide
from flows.portal.web import create_app
from tests.browser_checks import axe_violations, page_width
from tests.journey_helpers import GUIDE_STEPS as STEPS
from tests.portal_helpers import PASSWORD, serving

SHOTS = Path("/tmp/guide-shots")
ROLES = {"r.redacteur": "editor", "a.approbateur": "approver", "g.admin": "admin"}


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    engine = store.open_catalogue(tmp_path / "outputs").engine
    for name, role in ROLES.items():
        accounts.add(engine, name, role, PASSWORD, name)
    return tmp_path / "outputs"


def _logged_in(client: httpx.Client, base: str, name: str) -> None:
    page = client.get(f"{base}/staff/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "name": name, "password": PASSWORD}
    assert client.post(f"{base}/staff/login", data=form).status_code in (200, 303)


def test_every_role_reads_the_guide_and_the_public_does_not(outputs: Path):
    with serving(create_app(outputs)) as base:
        with httpx.Client() as anonymous:
            refused = anonymous.get(f"{base}/staff/guide")
            assert refused.status_code == 303 and "/staff/login" in refused.headers["location"]
            assert anonymous.get(f"{base}/staff/guide/images/texte-1280.png").status_code == 401
        for name in ROLES:
            with httpx.Client(follow_redirects=True) as client:
                _logged_in(client, base, name)
                page = client.get(f"{base}/staff/guide")
                assert page.status_code == 200, name
                assert "<h1>Guide de l'édition annuelle</h1>" in page.text
                assert '<a href="/staff/guide" aria-current="page">Guide</a>' in page.text  # in the staff's menu
                for src in re.findall(r'(?:src|srcset)="(/staff/guide/images/[^"]+)"', page.text):
                    image = client.get(f"{base}{src}")
                    assert image.status_code == 200 and image.content.startswith(b"\x89PNG"), src
                for wrong in ("../guide.html.j2", "texte.png", "x" * 70 + "-375.png"):
                    assert client.get(f"{base}/staff/guide/images/{wrong}").status_code == 404, wrong


def test_the_guide_shows_each_step_on_a_phone_and_a_desktop_in_little_space():
    shots = guide.screenshots()
    wanted = [(step, width) for step in STEPS for width in ("phone", "desktop")]
    missing = [f"{step} ({width})" for step, width in wanted if width not in shots.get(step, {})]
    assert not missing, f"screenshots to make with scripts/guide_screenshots.sh: {missing}"
    sizes = {path.name: path.stat().st_size for path in guide.IMAGES.glob("*.png")}
    assert sum(sizes.values()) < 2_000_000, sizes
    assert max(sizes.values()) < 250_000, sizes
    template = (guide.IMAGES.parent / "guide.html.j2").read_text(encoding="utf-8")
    assert all(f'shot("{step}"' in template for step in STEPS)


@pytest.mark.parametrize("width", [375, 1280])
def test_the_guide_passes_axe_core_and_fits_the_screen(outputs: Path, browser: Browser, width: int):
    with serving(create_app(outputs)) as base:
        page = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}).new_page()
        page.goto(f"{base}/staff/login")
        page.get_by_label("Identifiant").fill("a.approbateur")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("link", name="Guide", exact=True).click()
        expect(page.get_by_role("heading", name="Guide de l'édition annuelle")).to_be_visible()
        for image in page.locator("img").all():  # each screenshot loaded, as a reader scrolling would
            image.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
            box = image.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        page.evaluate("window.scrollTo(0, 0)")
        assert page_width(page) <= width
        assert (report := axe_violations(page)) is None, report
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"guide-{width}.png"), full_page=True)  # for a person to look at
