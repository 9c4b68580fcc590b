"""The whole service as an agency runs it, in a real browser (Debian's Chromium through Playwright): `fir
serve` (portal, Prefect server, runner of the deployments) on the loopback; an editor launches a correction
from the portal, which runs as a run of the manual deployment, follows it to its draft and sees the changes
and the changed pages; the editor cannot approve it; an approver does; the public page then lists the new
revision and its download is, byte for byte, the approved file."""

from __future__ import annotations

import hashlib
import re
import shutil
import signal
import subprocess
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from flows import paths, service
from flows.edition.publish import store
from flows.notices import audit
from flows.portal import accounts
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, REGION, fir_build, move_100_000_to_investments
from tests.test_service import (
    _descendants,
    _env,
    _fir_command,
    _free_port,
    _kill_all,
    _post,
    _wait_for_service,
)

PASSWORD = "correct horse battery staple"
REASON = "100 000 € reclassés en investissements"


def _log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}staff/login")
    page.get_by_label("Identifiant").fill(name)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}staff/")


def test_an_editor_launches_a_correction_that_an_approver_publishes(tmp_path: Path):
    inputs, outputs, home = tmp_path / "inputs", tmp_path / "outputs", tmp_path / "prefect-home"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    fir_build(2024, outputs, inputs)  # revision 1, published
    engine = store.open_catalogue(outputs).engine
    accounts.add(engine, "e.dupont", "editor", PASSWORD, "Élise Dupont")
    accounts.add(engine, "m.martin", "approver", PASSWORD, "Marc Martin")
    move_100_000_to_investments(inputs)

    port = _free_port()
    command = _fir_command(
        "serve", "--port", port, "--prefect-port", _free_port(), "--outputs", outputs, "--inputs", inputs
    )
    serve = subprocess.Popen(
        command, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    known = {serve.pid}
    try:
        info = _wait_for_service(home, serve, timeout=300)
        base = info.portal_url
        known |= _descendants(serve.pid)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            editor = browser.new_page()
            _log_in(editor, base, "e.dupont")
            editor.get_by_label("Région").select_option(REGION)
            editor.get_by_label("Année").fill("2024")
            editor.get_by_label("Motif").fill(REASON)
            editor.get_by_role("button", name="Lancer").click()
            assert "/staff/runs/" in editor.url, editor.url
            run_id = editor.url.rstrip("/").rsplit("/", 1)[1]
            # the run page refreshes itself until the run is over, then links to its draft
            draft_link = editor.get_by_role("link", name="Voir le projet (révision 2)")
            expect(draft_link).to_be_visible(timeout=240_000)
            editor.get_by_text("Pour l'assistance technique").click()  # the run's reference, for support only
            expect(editor.get_by_text(run_id)).to_be_visible()
            prefect_link = editor.get_by_role("link", name="Cette exécution dans l'interface Prefect")
            assert prefect_link.get_attribute("href") == f"{info.ui_url}/runs/flow-run/{run_id}"
            draft_link.click()
            expect(editor.get_by_role("heading", level=1)).to_contain_text("révision 2")
            # the erratum's table (figure by figure); the input changes' table below holds the same amounts
            changes = editor.locator("table", has=editor.get_by_role("columnheader", name="Chiffre")).filter(
                has_text=re.compile(r"114\s972\s012")
            )
            expect(changes).to_contain_text(re.compile(r"115\s072\s012"))
            expect(editor.locator("img[alt^='Page']").first).to_be_visible()
            side_by_side = editor.locator("img[src*='/pages/']")
            assert side_by_side.count() >= 2  # the current publication's page beside the draft's
            assert editor.get_by_role("button", name="Approuver et publier").count() == 0  # an editor cannot
            editor.screenshot(path=str(tmp_path / "draft-editor.png"), full_page=True)

            approver = browser.new_page()
            _log_in(approver, base, "m.martin")
            approver.goto(f"{base}staff/drafts/{REGION}/2024/2")
            approver.get_by_label("Commentaire", exact=False).first.fill("Relu, chiffres vérifiés")
            approver.get_by_role("button", name="Approuver et publier").click()
            expect(approver.get_by_text("publiée", exact=False).first).to_be_visible()

            public = browser.new_page()
            public.goto(base)
            link = public.get_by_role("link", name="FIR-2024-Hauts-de-France-r2.pdf")
            expect(link).to_be_visible()
            with public.expect_download() as download:
                link.click()
            data = Path(download.value.path()).read_bytes()
            browser.close()
        approved = store.open_catalogue(outputs).revision(REGION, 2024, 2)
        assert approved["status"] == "published" and approved["decided_by"] == "m.martin"
        assert approved["launched_by"] == "e.dupont" and approved["reason"] == REASON
        assert approved["run_id"] == run_id  # the run launched from the portal built it
        assert hashlib.sha256(data).hexdigest() == approved["pdf"]["sha256"]
        assert data == (outputs / REGION / "2024" / f"fir-{REGION}-2024.pdf").read_bytes()
        # Prefect artifacts: the draft awaiting approval (on the run), the publication (from the portal)
        keys = [f"fir-{REGION}-2024-projet", f"fir-{REGION}-2024-publiee"]
        auth = service.read_api_auth(Path(info.api_auth_file))
        found = _post(f"{info.api_url}/artifacts/filter", {"artifacts": {"key": {"any_": keys}}}, auth)
        assert sorted(a["key"] for a in found) == keys
        published = next(a for a in found if a["key"].endswith("publiee"))
        assert "Approuvée par : Marc Martin" in published["data"]
        # the portal's launch, then the run's own line with its draft, by the account, from the service
        lines = audit.entries(store.open_catalogue(outputs).engine, action=audit.BUILD)
        launch, built = lines[1], lines[0]
        assert (launch.actor, launch.outcome, launch.address) == ("e.dupont", audit.OK, "127.0.0.1")
        assert (built.actor, built.outcome) == ("e.dupont", audit.OK) and REASON in built.detail
        assert built.address.startswith("service fir serve (")
        serve.send_signal(signal.SIGTERM)
        said, logged = serve.communicate(timeout=120)
        # no Python warning in normal use (a FutureWarning was printed on approval), nor in the runs' log
        runs_log = (home / "fir-service-runner.log").read_text(encoding="utf-8")
        for text in (said + logged, runs_log):
            assert not re.search(r"\w+Warning\b", text), text
    finally:
        _kill_all(known | _descendants(serve.pid))
        if serve.poll() is None:
            serve.kill()
            serve.communicate()
