"""Sessions, throttling, proxies and what the portal keeps of anonymous traffic (issue 24, points 10, 13–16),
through the portal's HTTP interface: a cookie captured before logging out is dead; proxy headers count only
from the proxies the operator lists (`fir serve`'s own server); an attacker's wrong passwords lock nobody else
out; anonymous refusals are counted, not logged one line each; the audit export is bounded; a draft's page
images are never cached and their viewing is in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from flows.edition.publish import store
from flows.edition.publish.tables import staff_sessions
from flows.portal import accounts, audit
from flows.portal.sessions import COOKIE
from flows.web import create_app
from tests.helpers import REGION
from tests.portal_helpers import (
    ADMIN,
    APPROVER_ACCOUNT,
    EDITOR_ACCOUNT,
    add_accounts,
    audit_lines,
    copy_outputs,
    log_in,
)

DRAFT = 2  # 2024 r2: the correction awaiting sign-off


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


def _session_rows(outputs: Path, account: str) -> int:
    with store.open_catalogue(outputs).engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(staff_sessions).where(staff_sessions.c.account == account)
        return int(conn.scalar(query) or 0)


# -- 10: logging out ends the session on the server ----------------------------------------------------------


def test_a_cookie_captured_before_logout_neither_approves_nor_rejects_nor_reads(private: Path):
    client = _client(private)
    csrf = log_in(client, APPROVER_ACCOUNT)
    captured = client.cookies.get(COOKIE)
    assert _session_rows(private, APPROVER_ACCOUNT) == 1
    logout = client.post("/staff/logout", data={"csrf": csrf}, follow_redirects=False)
    assert logout.status_code == 303
    assert _session_rows(private, APPROVER_ACCOUNT) == 0
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
    assert [e.outcome for e in audit_lines(private, audit.APPROVE) + audit_lines(private, audit.REJECT)] == []


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
