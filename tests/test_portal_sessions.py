"""Sessions, throttling, proxies and what the portal keeps of anonymous traffic (issue 24, points 10, 13–16),
through the portal's HTTP interface: a cookie captured before logging out is dead; proxy headers count only
from the proxies the operator lists (`fir serve`'s own server); an attacker's wrong passwords lock nobody else
out; anonymous refusals are counted, not logged one line each; the audit export is bounded; a draft's page
images are never cached and their viewing is in the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from flows import paths
from flows.edition.publish import store
from flows.notices import audit
from flows.notices.tables import audit_log
from flows.portal import accounts, proxies, refusals, throttle
from flows.portal import admin as admin_pages
from flows.portal.sessions import COOKIE
from flows.portal.staff import LOGIN_REFUSED
from flows.portal.tables import login_throttle, refusal_counts, staff_sessions
from flows.portal.web import create_app
from tests.helpers import REGION, fir
from tests.portal_helpers import (
    ADMIN,
    APPROVER_ACCOUNT,
    EDITOR_ACCOUNT,
    PASSWORD,
    add_accounts,
    audit_lines,
    copy_outputs,
    csrf_of,
    log_in,
)

DRAFT = 2  # 2024 r2: the correction awaiting sign-off
SAME = LOGIN_REFUSED.replace("'", "&#39;")  # as the page escapes it


@pytest.fixture(scope="module")
def shared(portal_editions: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_outputs(portal_editions, tmp_path_factory.mktemp("portal-sessions") / "outputs")


@pytest.fixture
def private(shared: Path, tmp_path: Path) -> Path:
    return copy_outputs(shared, tmp_path / "outputs")


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty store with the staff accounts (no build needed)."""
    monkeypatch.delenv("FIR_PORTAL_SECRET", raising=False)
    outputs = tmp_path / "outputs"
    add_accounts(outputs)
    return outputs


def _client(outputs: Path) -> TestClient:
    return TestClient(create_app(outputs))


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _alert(answer) -> str:
    found = re.search(r'role="alert">([^<]+)<', answer.text)
    assert found, answer.text
    return found.group(1)


def _session_rows(outputs: Path, account: str) -> int:
    with store.open_catalogue(outputs).engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(staff_sessions).where(staff_sessions.c.account == account)
        return int(conn.scalar(query) or 0)


# -- 10: logging out ends the session on the server ----------------------------------------------------------


def test_a_cookie_captured_before_logout_neither_approves_nor_rejects_nor_reads(private: Path):
    decisions = len(audit_lines(private, audit.APPROVE) + audit_lines(private, audit.REJECT))
    others = _session_rows(private, APPROVER_ACCOUNT)  # sessions the copied store already held
    client = _client(private)
    csrf = log_in(client, APPROVER_ACCOUNT)
    captured = client.cookies.get(COOKIE)
    assert _session_rows(private, APPROVER_ACCOUNT) == others + 1
    logout = client.post("/staff/logout", data={"csrf": csrf}, follow_redirects=False)
    assert logout.status_code == 303
    assert _session_rows(private, APPROVER_ACCOUNT) == others  # this one's row deleted, and only it
    thief = _client(private)
    thief.cookies.set(COOKIE, captured, path="/staff")
    base = f"/staff/drafts/{REGION}/2024/{DRAFT}"
    assert thief.get("/staff/", follow_redirects=False).status_code == 303  # to the login form
    assert thief.get(base, follow_redirects=False).status_code == 303
    assert thief.get(f"{base}/pdf").status_code == 401
    for decision in ("approve", "reject"):
        answer = thief.post(f"{base}/{decision}", data={"csrf": csrf, "comment": "vu"}, follow_redirects=False)
        assert answer.status_code == 401, (decision, answer.status_code)
    assert store.open_catalogue(private).revision(REGION, 2024, DRAFT)["status"] == store.DRAFT
    assert len(audit_lines(private, audit.APPROVE) + audit_lines(private, audit.REJECT)) == decisions


def test_a_password_change_or_a_disabling_deletes_every_session_of_the_account(fresh: Path):
    engine = store.open_catalogue(fresh).engine
    phone, desk = _client(fresh), _client(fresh)
    log_in(phone, EDITOR_ACCOUNT)
    log_in(desk, EDITOR_ACCOUNT)
    admin = _client(fresh)
    log_in(admin, ADMIN)
    assert (_session_rows(fresh, EDITOR_ACCOUNT), _session_rows(fresh, ADMIN)) == (2, 1)
    accounts.set_password(engine, EDITOR_ACCOUNT, "another long passphrase")
    assert (_session_rows(fresh, EDITOR_ACCOUNT), _session_rows(fresh, ADMIN)) == (0, 1)
    assert phone.get("/staff/", follow_redirects=False).status_code == 303
    log_in(desk, EDITOR_ACCOUNT, "another long passphrase")
    accounts.disable(engine, EDITOR_ACCOUNT)
    assert _session_rows(fresh, EDITOR_ACCOUNT) == 0
    assert desk.get("/staff/", follow_redirects=False).status_code == 303
    assert admin.get("/staff/", follow_redirects=False).status_code == 200  # another account's session holds


# -- 16: a draft's page images are never cached, and viewing the draft is in the audit log ------------------


def test_draft_images_are_not_cached_and_one_audit_line_covers_a_viewing(shared: Path):
    target = f"{REGION} 2024 r{DRAFT}"
    base = f"/staff/drafts/{REGION}/2024/{DRAFT}"
    before = len(audit_lines(shared, audit.DRAFT_VIEW))
    editor = _client(shared)
    log_in(editor, EDITOR_ACCOUNT)
    assert editor.get(base).status_code == 200
    for page in (1, 36, 37, 38):
        image = editor.get(f"{base}/pages/{page}.png")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        cache = image.headers["cache-control"]
        assert "no-store" in cache and "max-age" not in cache, cache
    views = audit_lines(shared, audit.DRAFT_VIEW)
    assert len(views) - before == 1  # the page, not one line per image
    assert (views[0].actor, views[0].target, views[0].outcome) == (EDITOR_ACCOUNT, target, audit.OK)
    # images fetched without their page: that viewing writes its own line, once
    approver = _client(shared)
    log_in(approver, APPROVER_ACCOUNT)
    for page in (2, 3):
        assert "no-store" in approver.get(f"{base}/pages/{page}.png").headers["cache-control"]
    views = audit_lines(shared, audit.DRAFT_VIEW)
    assert len(views) - before == 2
    assert (views[0].actor, views[0].target, views[0].detail) == (APPROVER_ACCOUNT, target, "images des pages")
    # a published revision is public: its staff page is no draft view
    assert editor.get(f"/staff/drafts/{REGION}/2024/1").status_code == 200
    assert "no-store" in editor.get(f"/staff/drafts/{REGION}/2024/1/pages/1.png").headers["cache-control"]
    assert len(audit_lines(shared, audit.DRAFT_VIEW)) - before == 2
    # refused to whom may not see drafts, as the page is
    anonymous = _client(shared).get(f"{base}/pages/1.png")
    assert anonymous.status_code == 401 and not anonymous.content.startswith(b"\x89PNG")


# -- 14: throttling slows the attacker's address, never the owner's -------------------------------------------

ATTACKER, DESK = ("198.51.100.66", 40000), ("192.0.2.10", 40000)


def _from(outputs: Path, address: tuple[str, int]) -> TestClient:
    return TestClient(create_app(outputs), client=address)


def _try(client: TestClient, name: str, password: str):
    form = client.get("/staff/login")
    data = {"name": name, "password": password, "csrf": csrf_of(form.text), "next": "/staff/"}
    return client.post("/staff/login", data=data, follow_redirects=False)


def _throttle_rows(outputs: Path) -> dict[tuple[str, str], tuple[int, float]]:
    """(name, address) → (wrong passwords, seconds until the next try is checked after the last one)."""
    with store.open_catalogue(outputs).engine.connect() as conn:
        rows = list(conn.execute(sa.select(login_throttle)))
    return {
        (r.name, r.address): (
            r.failures,
            (dt.datetime.fromisoformat(r.until) - dt.datetime.fromisoformat(r.last_at)).total_seconds(),
        )
        for r in rows
    }


def test_an_attacker_hammering_an_admin_does_not_lock_the_admin_out(fresh: Path):
    attacker = _from(fresh, ATTACKER)
    for _ in range(15):
        assert _try(attacker, ADMIN, "wrong password!").status_code == 401
    assert _throttle_rows(fresh)[(ADMIN, ATTACKER[0])][0] >= throttle.FREE  # slowed down there
    owner = _from(fresh, DESK)
    assert _try(owner, ADMIN, PASSWORD).status_code == 303  # the admin, at their desk, gets in
    assert owner.get("/staff/", follow_redirects=False).status_code == 200
    login = audit_lines(fresh, audit.LOGIN)
    assert [(e.actor, e.address, e.outcome) for e in login] == [(ADMIN, DESK[0], audit.OK)]


def test_wrong_passwords_slow_a_name_at_its_address_with_growing_delays(fresh: Path):
    client = _from(fresh, DESK)
    for _ in range(throttle.FREE):
        answer = _try(client, EDITOR_ACCOUNT, "wrong password!")
        assert (answer.status_code, _alert(answer)) == (401, SAME)
    assert _throttle_rows(fresh)[(EDITOR_ACCOUNT, DESK[0])] == (throttle.FREE, 2.0)
    # each further wrong password doubles the delay (counted as the login form counts them: no waiting here)
    engine = store.open_catalogue(fresh).engine
    for failures, seconds in ((6, 4.0), (7, 8.0), (8, 16.0), (9, 32.0)):
        throttle.failed(engine, EDITOR_ACCOUNT, DESK[0])
        assert _throttle_rows(fresh)[(EDITOR_ACCOUNT, DESK[0])] == (failures, seconds)
    # within the delay, even the right password is refused with the same words, and does not count
    answer = _try(client, EDITOR_ACCOUNT, PASSWORD)
    assert (answer.status_code, _alert(answer)) == (401, SAME)
    assert _throttle_rows(fresh)[(EDITOR_ACCOUNT, DESK[0])][0] == 9
    assert [throttle.delay(n).total_seconds() for n in (4, 5, 6, 7, 14, 30)] == [0, 2, 4, 8, 900, 900]
    # an administrator unlocks it (a POST with its token, audited): the right password works at once
    admin = _from(fresh, ATTACKER)
    csrf = log_in(admin, ADMIN)
    page = admin.get("/staff/admin/accounts").text
    assert "Connexions freinées" in page and EDITOR_ACCOUNT in page and DESK[0] in page
    assert admin.post("/staff/admin/unlock", data={"name": EDITOR_ACCOUNT}).status_code == 403  # no token
    done = admin.post("/staff/admin/unlock", data={"csrf": csrf, "name": EDITOR_ACCOUNT}, follow_redirects=False)
    assert done.status_code == 303
    assert _throttle_rows(fresh) == {}
    assert _try(client, EDITOR_ACCOUNT, PASSWORD).status_code == 303
    line = audit_lines(fresh, audit.ACCOUNT)[0]
    assert (line.actor, line.target, line.outcome) == (ADMIN, EDITOR_ACCOUNT, audit.OK)
    assert line.detail.startswith("connexion débloquée")


def test_unlocking_is_refused_to_whom_may_not_manage_accounts(fresh: Path):
    editor = _from(fresh, DESK)
    csrf = log_in(editor, EDITOR_ACCOUNT)
    assert editor.post("/staff/admin/unlock", data={"csrf": csrf, "name": ADMIN}).status_code == 403
    anonymous = _client(fresh)
    assert anonymous.post("/staff/admin/unlock", data={"name": ADMIN}).status_code == 403  # no token: a forgery
    token = csrf_of(anonymous.get("/staff/login").text)  # the anonymous session's token: then login required
    assert anonymous.post("/staff/admin/unlock", data={"name": ADMIN, "csrf": token}).status_code == 401
    line = audit_lines(fresh, audit.ACCESS)[0]
    assert (line.actor, line.target) == (EDITOR_ACCOUNT, "POST /staff/admin/unlock")


def test_one_address_spraying_many_names_is_capped_there_only(fresh: Path):
    sprayer = _from(fresh, ATTACKER)
    names = [f"guess{n}" for n in range(throttle.ADDRESS_LIMIT // (throttle.FREE - 1) + 1)]
    for name in names:  # under each name's free attempts, over the address's limit
        for _ in range(throttle.FREE - 1):
            _try(sprayer, name, "wrong password!")
    assert _try(sprayer, EDITOR_ACCOUNT, PASSWORD).status_code == 401  # first try of that name: the address is over
    assert _try(_from(fresh, DESK), EDITOR_ACCOUNT, PASSWORD).status_code == 303
    counts = refusals.latest(store.open_catalogue(fresh).engine)
    assert any(c.target == EDITOR_ACCOUNT and c.detail.startswith("trop d'essais depuis cette adresse") for c in counts)


# -- 15: anonymous traffic is counted, bounded; the export is bounded -----------------------------------------


def _audit_size(outputs: Path) -> int:
    with store.open_catalogue(outputs).engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(audit_log)) or 0)


def test_anonymous_refusals_are_counted_per_hour_not_logged_one_line_each(fresh: Path):
    client = _from(fresh, ATTACKER)
    before = _audit_size(fresh)
    for _ in range(40):
        assert client.get("/staff/admin/audit", follow_redirects=False).status_code == 303
        assert client.post("/staff/builds", data={"region": "x"}).status_code == 403  # no token: a forgery
    for n in range(12):
        assert _try(client, f"nobody{n % 4}", "wrong password!").status_code == 401
    client.post("/staff/login", data={"name": ADMIN, "password": PASSWORD})  # no token
    assert _audit_size(fresh) == before  # not one line
    engine = store.open_catalogue(fresh).engine
    counts = {(c.action, c.target): (c.count, c.address, c.detail) for c in refusals.latest(engine)}
    assert counts[(audit.ACCESS, "GET /staff/admin/audit")] == (40, ATTACKER[0], "connexion requise")
    assert counts[(audit.ACCESS, "POST /staff/builds")] == (40, ATTACKER[0], "jeton CSRF absent ou faux")
    assert counts[(audit.LOGIN, "nobody0")] == (3, ATTACKER[0], "identifiants refusés")
    assert counts[(audit.ACCESS, "POST /staff/login")][2] == "jeton CSRF absent ou faux"
    # a robot asking ever new addresses of one hour: at most HOUR_ROWS counters, the rest under « autres »
    for n in range(refusals.HOUR_ROWS + 30):
        client.get(f"/staff/drafts/{REGION}/2024/{n}", follow_redirects=False)
    with engine.connect() as conn:
        rows = list(conn.execute(sa.select(refusal_counts)))
    assert len(rows) <= refusals.HOUR_ROWS + 2  # the hour may turn during the test
    assert sum(r._mapping["count"] for r in rows if r.address == refusals.OTHERS) >= 30
    assert _audit_size(fresh) == before
    # the administrator reads the counters on the audit page
    admin = _from(fresh, DESK)
    log_in(admin, ADMIN)
    page = admin.get("/staff/admin/audit").text
    assert "Refus anonymes" in page and ATTACKER[0] in page and "page /staff/admin/audit" in page


def test_the_audit_export_covers_one_period_with_a_row_limit_streamed(fresh: Path, monkeypatch: pytest.MonkeyPatch):
    engine = store.open_catalogue(fresh).engine
    with engine.begin() as conn:
        for day in (3, 4, 5):
            conn.execute(
                sa.insert(audit_log).values(
                    at=f"2020-03-0{day}T10:00:00+00:00",
                    actor=EDITOR_ACCOUNT,
                    address="192.0.2.1",
                    action=audit.BUILD,
                    target=f"{REGION} 2020",
                    outcome=audit.OK,
                    detail=f"ancienne ligne {day}",
                )
            )
    for n in range(25):
        audit.record(engine, EDITOR_ACCOUNT, "192.0.2.1", audit.BUILD, f"{REGION} 2024", audit.OK, f"ligne {n}")
    client = _from(fresh, DESK)
    log_in(client, ADMIN)
    page = _plain(client.get("/staff/admin/audit").text)
    assert "au plus 100 000 lignes" in page and "exportez alors une période plus courte" in page
    monkeypatch.setattr(admin_pages, "EXPORT_LIMIT", 10)
    exported = client.get("/staff/admin/audit.csv", params={"action": audit.BUILD})
    assert exported.status_code == 200 and "content-length" not in exported.headers  # streamed
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["date (heure de Paris)", "qui", "depuis"]
    assert [r[6] for r in rows[1:11]] == [f"ligne {n}" for n in range(24, 14, -1)]
    assert rows[11] == ["export limité à 10 lignes : choisissez une période plus courte pour la suite"]
    assert len(rows) == 12
    old = client.get("/staff/admin/audit.csv", params={"du": "2020-03-04", "au": "2020-03-31"})
    rows = list(csv.reader(io.StringIO(old.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[6] for r in rows[1:]] == ["ancienne ligne 5", "ancienne ligne 4"]
    assert 'filename="journal-fir-2020-03-04-2020-03-31.csv"' in old.headers["content-disposition"]
    until = client.get("/staff/admin/audit.csv", params={"au": "2020-03-03", "action": audit.BUILD})
    assert [r.split(";")[6] for r in until.content.decode("utf-8-sig").splitlines()[1:]] == ["ancienne ligne 3"]
    assert client.get("/staff/admin/audit.csv", params={"du": "demain"}).status_code == 400
    assert client.get("/staff/admin/audit.csv", params={"du": "2020-04-01", "au": "2020-03-01"}).status_code == 400


# -- 13: proxy headers only from the proxies the operator lists ----------------------------------------------

_SERVE_PORTAL = """
import socket, sys
from pathlib import Path
from flows.supervisor import serve_portal
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]
serve_portal(listener, Path(sys.argv[1]), [], lambda: print(f"http://127.0.0.1:{port}", flush=True))
"""


@contextmanager
def _fir_serve_portal(outputs: Path, **env: str) -> Iterator[str]:
    """The portal as `fir serve` runs it (flows/supervisor.py serve_portal: its uvicorn and its options), in a
    process of its own on the loopback; its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE_PORTAL, str(outputs)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=paths.PROJECT_ROOT,
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().strip()
        assert base.startswith("http://"), process.communicate(timeout=30)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _log_in_over_http(client: httpx.Client, name: str, password: str, headers: dict[str, str]) -> httpx.Response:
    form = client.get("/staff/login", headers=headers)
    data = {"name": name, "password": password, "csrf": csrf_of(form.text), "next": "/staff/"}
    return client.post("/staff/login", data=data, headers=headers)


def test_forwarded_headers_from_an_unlisted_address_count_for_nothing(fresh: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(proxies.VARIABLE, raising=False)
    with _fir_serve_portal(fresh) as base, httpx.Client(base_url=base) as client:
        for n in range(throttle.FREE):  # a new forged address at each try: the throttle sees the loopback
            forged = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
            assert _log_in_over_http(client, ADMIN, "wrong password!", forged).status_code == 401
        assert _throttle_rows(fresh) == {(ADMIN, "127.0.0.1"): (throttle.FREE, 2.0)}  # one address: the peer's
        for _ in range(4):  # more wrong passwords (as the form counts them): the delay is 32 s
            throttle.failed(store.open_catalogue(fresh).engine, ADMIN, "127.0.0.1")
        forged = {"X-Forwarded-For": "203.0.113.99", "X-Forwarded-Proto": "https"}
        assert _log_in_over_http(client, ADMIN, PASSWORD, forged).status_code == 401  # a new forged address: slowed
        assert _log_in_over_http(client, EDITOR_ACCOUNT, PASSWORD, forged).status_code == 303
        cookie = client.cookies.jar
        assert all(not c.secure for c in cookie)  # a forged X-Forwarded-Proto makes no HTTPS
        assert client.get("/staff/admin/audit", headers=forged).status_code == 403
    addresses = {e.address for e in audit_lines(fresh)}
    addresses |= {c.address for c in refusals.latest(store.open_catalogue(fresh).engine)}
    assert addresses == {"127.0.0.1"}


def test_forwarded_headers_from_a_listed_proxy_name_the_client(fresh: Path):
    with (
        _fir_serve_portal(fresh, FIR_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8") as base,
        httpx.Client(base_url=base) as client,
    ):
        forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
        form = client.get("/staff/login", headers=forwarded)
        assert "; secure" in form.headers["set-cookie"].lower()  # HTTPS as the proxy says the client sees it
        cookie = form.headers["set-cookie"].split(";")[0]  # a secure cookie: sent back by hand over http
        data = {"name": ADMIN, "password": PASSWORD, "csrf": csrf_of(form.text), "next": "/staff/"}
        answer = client.post("/staff/login", data=data, headers={**forwarded, "Cookie": cookie})
        assert answer.status_code == 303
        assert "; secure" in answer.headers["set-cookie"].lower()
    line = audit_lines(fresh, audit.LOGIN)[0]
    assert (line.actor, line.address) == (ADMIN, "203.0.113.7")


def test_fir_serve_refuses_a_proxy_setting_that_names_no_address(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "serve", "--outputs", str(tmp_path / "outputs")],
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "home"), proxies.VARIABLE: "127.0.0.1, proxy.example"},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=paths.PROJECT_ROOT,
    )
    assert done.returncode == 3, done.stderr
    assert "FIR_TRUSTED_PROXIES : « proxy.example » n'est ni une adresse IP ni un réseau" in done.stderr
    assert "Traceback" not in done.stderr
    assert proxies.trusted_proxies({proxies.VARIABLE: ""}) == []
    assert proxies.server_options({}) == {"proxy_headers": False, "forwarded_allow_ips": []}


def test_sessions_throttle_and_counters_on_each_database(catalogue_backend: str, tmp_path: Path):
    """The three tables of migration 0006 on SQLite and PostgreSQL alike, through the portal."""
    outputs = tmp_path / "outputs"
    add_accounts(outputs)
    client = _from(outputs, DESK)
    csrf = log_in(client, ADMIN)
    captured = client.cookies.get(COOKIE)
    assert client.post("/staff/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    thief = _from(outputs, ATTACKER)
    thief.cookies.set(COOKIE, captured, path="/staff")
    assert thief.get("/staff/", follow_redirects=False).status_code == 303
    for _ in range(throttle.FREE):
        _try(thief, EDITOR_ACCOUNT, "wrong password!")
        thief.get("/staff/admin/audit", follow_redirects=False)
    assert _throttle_rows(outputs)[(EDITOR_ACCOUNT, ATTACKER[0])] == (throttle.FREE, 2.0)
    counts = {(c.action, c.target): c.count for c in refusals.latest(store.open_catalogue(outputs).engine)}
    assert counts[(audit.ACCESS, "GET /staff/admin/audit")] == throttle.FREE
    assert counts[(audit.ACCESS, "GET /staff/")] == 1  # the dead cookie's request: anonymous
    assert counts[(audit.LOGIN, EDITOR_ACCOUNT)] == throttle.FREE
    assert throttle.unlock(store.open_catalogue(outputs).engine, address=ATTACKER[0]) == 1
    assert _try(thief, EDITOR_ACCOUNT, PASSWORD).status_code == 303


def test_fir_user_unlock_forgets_a_name_s_wrong_passwords_from_every_address(fresh: Path):
    """When no administrator can reach the portal, the command line unlocks (and audits it)."""
    for address in (ATTACKER, DESK):
        client = _from(fresh, address)
        for _ in range(throttle.FREE):
            _try(client, ADMIN, "wrong password!")
    assert set(_throttle_rows(fresh)) == {(ADMIN, ATTACKER[0]), (ADMIN, DESK[0])}
    done = fir("user", "unlock", ADMIN, "--outputs", fresh)
    assert done.returncode == 0, done.stderr
    assert f"Connexions de « {ADMIN} » débloquées (2 adresse(s))" in done.stdout
    assert _throttle_rows(fresh) == {}
    assert _try(_from(fresh, DESK), ADMIN, PASSWORD).status_code == 303
    line = audit_lines(fresh, audit.ACCOUNT)[0]
    assert (line.target, line.detail) == (ADMIN, "connexion débloquée (2)")
