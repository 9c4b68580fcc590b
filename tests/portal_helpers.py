"""Helpers of the portal's tests: the editions they review (a published 2024 with a correction awaiting
sign-off, a 2018 draft whose edition.toml still says its launcher may approve it — ignored), staff
accounts, logging in through the form, a private copy of the store for a test that changes it, a stand-in
for Prefect, a server in a thread."""

from __future__ import annotations

import re
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from flows import paths
from flows.edition.publish import store
from flows.portal import accounts, proxies
from flows.portal.runs import RunView
from tests.helpers import EDITOR, REGION, fir_build, move_100_000_to_investments

PASSWORD = "correct horse battery staple"
ADMIN, EDITOR_ACCOUNT, APPROVER_ACCOUNT = "a.admin", "e.editor", "p.approver"
# The tests' command-line builds are launched by EDITOR: an approver account of that name is their launcher.
LAUNCHER = EDITOR
CORRECTION = "100 000 € reclassés en investissements"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def build_editions(base: Path) -> Path:
    """outputs/ holding 2024 r1 published, 2024 r2 a correction awaiting sign-off (launched by EDITOR), and
    2018 r1 a first draft whose edition.toml says `[approval] self_approval = true` (ignored: the exception to
    the four-eyes rule is the administrators' setting, flows/policy.py); the staff accounts."""
    inputs, outputs = base / "inputs", base / "outputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    fir_build(2024, outputs, inputs)
    move_100_000_to_investments(inputs)
    fir_build(2024, outputs, inputs, reason=CORRECTION, approve=False)
    toml = inputs / REGION / "2018" / "edition.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[approval]\nself_approval = true\n", encoding="utf-8")
    fir_build(2018, outputs, inputs, approve=False)
    add_accounts(outputs)
    return outputs


def add_accounts(outputs: Path) -> None:
    engine = store.open_catalogue(outputs).engine
    for name, role in (
        (ADMIN, "admin"),
        (EDITOR_ACCOUNT, "editor"),
        (APPROVER_ACCOUNT, "approver"),
        (LAUNCHER, "approver"),
    ):
        accounts.add(engine, name, role, PASSWORD, name.replace(".", " ").title())


def copy_outputs(source: Path, target: Path) -> Path:
    """A private copy of a store (the catalogue through SQLite's backup, so that it is consistent)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("catalogue.sqlite3*"))
    with sqlite3.connect(source / "catalogue.sqlite3") as src, sqlite3.connect(target / "catalogue.sqlite3") as dst:
        src.backup(dst)
    return target


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in through the form; the session's CSRF token (read from a staff page)."""
    form = client.get("/staff/login")
    answer = client.post(
        "/staff/login",
        data={"name": name, "password": password, "csrf": csrf_of(form.text), "next": "/staff/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/staff/").text)


def audit_lines(outputs: Path, action: str | None = None) -> list[Any]:
    from flows.notices import audit

    return audit.entries(store.open_catalogue(outputs).engine, None, action)


class FakeRuns:
    """Prefect as the portal sees it, without a server: launched runs and their states."""

    def __init__(self, api: str | None = "http://127.0.0.1:4200/api"):
        self.api = api
        self.launched: list[dict[str, Any]] = []
        self.runs: dict[str, RunView] = {}

    def api_url(self) -> str | None:
        return self.api

    def launch(self, parameters: dict[str, Any]) -> str:
        run_id = str(uuid.uuid4())
        self.launched.append(parameters)
        self.runs[run_id] = RunView(run_id, "RUNNING", parameters)
        return run_id

    def read(self, run_id: uuid.UUID) -> RunView | None:
        return self.runs.get(str(run_id))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread; its base URL."""
    port = free_port()
    options = proxies.server_options()  # proxy headers as `fir serve` reads them (none believed by default)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
