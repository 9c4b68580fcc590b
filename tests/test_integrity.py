"""Integrity of what is served and drafts that end cleanly (issue 24, points 5–7), with faults made from
outside the code: an object truncated or overwritten with bytes of the same size (`truncate`, `dd`), a
full file system (a tmpfs filled up), a build killed with SIGKILL once the catalogue shows its draft.

- A damaged object never damages the public copies (they are copies, not hard links); the next build reads
  the current publication whole, notices and restores it from its copy; the portal refuses a file whose
  SHA-256 does not match (a French page, an audit line, one e-mail to the admins) and `fir repair` restores.
- A build failing on a full disk takes back the objects it wrote, says so, and leaves the published ones.
- A draft a later publication made stale is « remplacé »; a draft recorded by a killed build is reported
  by the next command and on the dashboard.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from flows.edition.publish import store
from flows.notices import audit
from flows.paths import PROJECT_ROOT
from flows.portal import accounts, integrity
from flows.portal.web import create_app
from tests.helpers import APPROVER, EDITOR, build_command, fir, fir_build
from tests.portal_helpers import PASSWORD, log_in
from tests.smtp import Inbox, named_by_settings
from tests.store_child import REGION, YEAR, record

NAME = f"fir-{REGION}-{YEAR}"
EXIT_OPERATIONAL = 3


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _forms(tag: str) -> dict[str, bytes]:
    return {
        "pdf": f"%PDF-1.7 brochure {tag} ".encode() * 400,
        "archive": f"%PDF-1.7 archive {tag} ".encode() * 400,
        "draft": f"%PDF-1.7 PROJET {tag}".encode(),
        "web": f"<!doctype html><html lang=fr><title>{tag}</title>".encode(),
        "data": f"PK\x03\x04 {tag}".encode(),
    }


def _publish(catalogue: store.Catalogue, number: int, tag: str) -> dict:
    """A draft recorded by `alice` and approved by `bruno`: a publication as a build and a sign-off make it."""
    with catalogue.lock(REGION, YEAR, timeout=10):
        catalogue.record_draft(REGION, YEAR, "Hauts-de-France", number, _forms(tag), record(tag), [], "alice")
        return catalogue.decide(REGION, YEAR, number, True, "bruno", "relu", audit.now())


def _overwrite_same_size(path: Path) -> None:
    """Bytes replaced in place, the size kept (as a faulty disk or a careless hand would)."""
    size = path.stat().st_size
    subprocess.run(
        ["dd", "if=/dev/urandom", f"of={path}", "bs=1", f"seek={size // 2}", "count=16", "conv=notrunc"],
        check=True,
        capture_output=True,
    )
    assert path.stat().st_size == size


def _fir(*args: object, user: str = EDITOR) -> subprocess.CompletedProcess:
    """`fir` as the system user `user` types it (the command line's actor)."""
    command = [sys.executable, "-m", "flows.cli", *(str(a) for a in args)]
    env = {**os.environ, "LOGNAME": user}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=PROJECT_ROOT)


def _truncate(path: Path) -> None:
    subprocess.run(["truncate", "-s", "100", str(path)], check=True)


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server on the loopback, named by the service's settings for the test's length."""
    with named_by_settings(monkeypatch) as found:
        yield found


@pytest.fixture
def published(catalogue_backend: str, tmp_path: Path) -> store.Catalogue:
    """r1 and r2 published (fake bytes: the store does not read them), an admin and an editor with addresses;
    on SQLite and on PostgreSQL."""
    catalogue = store.open_catalogue(tmp_path / "outputs")
    _publish(catalogue, 1, "r1")
    _publish(catalogue, 2, "r2")
    accounts.add(catalogue.engine, "a.admin", "admin", PASSWORD, "Anne Admin", "anne@ars.test")
    accounts.add(catalogue.engine, "e.editor", "editor", PASSWORD, "Émile Rédacteur", "emile@ars.test")
    return catalogue


def test_a_truncated_or_overwritten_object_leaves_every_public_copy_whole_and_the_next_run_restores_it(
    published: store.Catalogue,
):
    folder = published.outputs / REGION / str(YEAR)
    forms = _forms("r2")
    pdf, archive = (published.object_file(REGION, YEAR, _sha(forms[role])) for role in ("pdf", "archive"))
    copies = [folder / f"{NAME}.pdf", folder / "revisions" / "r2" / f"{NAME}.pdf"]
    assert not any(os.path.samefile(pdf, copy) for copy in copies)  # no inode shared with what readers open
    _truncate(pdf)
    _overwrite_same_size(archive)
    for copy in copies:  # the public copies kept every byte
        assert copy.read_bytes() == forms["pdf"]
    assert (folder / f"{NAME}-archive.pdf").read_bytes() == forms["archive"]
    with published.lock(REGION, YEAR, timeout=10):  # what the next build does first
        recovery = published.recover(REGION, YEAR)
    assert sorted(recovery.restored) == sorted([pdf, archive])
    assert pdf.read_bytes() == forms["pdf"] and archive.read_bytes() == forms["archive"]
    assert not any(os.path.samefile(pdf, copy) for copy in copies)


def test_views_an_earlier_version_made_as_hard_links_become_copies(published: store.Catalogue):
    folder = published.outputs / REGION / str(YEAR)
    view, obj = folder / f"{NAME}.pdf", published.object_file(REGION, YEAR, _sha(_forms("r2")["pdf"]))
    view.unlink()
    os.link(obj, view)  # as views were made before
    published.rewrite_views(REGION, YEAR)
    assert view.read_bytes() == obj.read_bytes() and not os.path.samefile(view, obj)


def test_the_portal_refuses_a_damaged_published_file_tells_the_admins_once_and_fir_repair_restores_it(
    published: store.Catalogue, inbox: Inbox
):
    client = TestClient(create_app(published.outputs))
    forms = _forms("r2")
    assert client.get(f"/download/{REGION}/{YEAR}/2").content == forms["pdf"]
    obj = published.object_file(REGION, YEAR, _sha(forms["pdf"]))
    _overwrite_same_size(obj)  # its size and name unchanged: only its bytes tell

    refused = client.get(f"/download/{REGION}/{YEAR}/2")
    assert refused.status_code == 503 and refused.headers["content-type"].startswith("text/html")
    assert "Service indisponible" in refused.text
    assert "plus exactement celui qui a été publié" in refused.text and "réessayez plus tard" in refused.text
    assert forms["pdf"][:40].decode() not in refused.text and str(obj) not in refused.text  # no path shown
    assert client.get(f"/editions/{REGION}/{YEAR}/{NAME}.pdf").status_code == 503  # the web edition's link too
    assert client.get(f"/download/{REGION}/{YEAR}/2/archive").status_code == 200  # the other files still served

    [line] = audit.entries(published.engine, action=audit.INTEGRITY)
    assert (line.actor, line.target, line.outcome) == ("service", f"{REGION} {YEAR} r2", audit.FAILED)
    assert "brochure" in line.detail and "SHA-256" in line.detail
    [mail] = inbox.messages  # the admins, not the editors, and once for this damage
    assert mail["X-Envelope-To"] == "anne@ars.test"
    assert mail["Subject"] == "[FIR] Fichier(s) altéré(s) : 1, plus servi(s) par le portail"
    body = mail.get_content()
    assert f"{REGION} {YEAR}, révision 2 : brochure" in body and f"fir repair --outputs {published.outputs}" in body

    assert client.get(f"/download/{REGION}/{YEAR}/2").status_code == 503  # asked again: refused, not told again
    assert len(inbox.messages) == 1 and len(audit.entries(published.engine, action=audit.INTEGRITY)) == 1
    log_in(client, "a.admin")
    dashboard = client.get("/staff/").text
    assert (
        "Fichiers altérés, que le portail ne sert plus" in dashboard
        and f"{REGION} {YEAR}, révision 2 : brochure" in dashboard
    )
    assert "fir repair" in dashboard

    repaired = fir("repair", "--outputs", published.outputs)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert f"rétabli depuis une copie : {obj}" in repaired.stdout
    assert client.get(f"/download/{REGION}/{YEAR}/2").content == forms["pdf"]
    assert "Fichiers altérés, que le portail ne sert plus" not in client.get("/staff/").text


def test_the_service_reads_every_published_file_at_start_and_reports_a_damaged_one(
    published: store.Catalogue, inbox: Inbox
):
    older = published.object_file(REGION, YEAR, _sha(_forms("r1")["archive"]))  # a file nobody asked for yet
    _overwrite_same_size(older)
    verifier, stop = integrity.Verifier(published), threading.Event()
    integrity.watch(verifier, stop, every_s=3600)
    try:
        deadline = time.monotonic() + 30
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    [mail] = inbox.messages
    assert f"{REGION} {YEAR}, révision 1 : copie d'archivage" in mail.get_content()
    assert verifier.damaged() == [f"{REGION} {YEAR}, révision 1 : copie d'archivage"]
    [line] = audit.entries(published.engine, action=audit.INTEGRITY)
    assert line.target == f"{REGION} {YEAR} r1"
    assert verifier.check_all()[0].path == older and len(inbox.messages) == 1  # the daily pass: told once


SERVE_PORTAL = """
import sys
from pathlib import Path
from flows.supervisor import listen, serve_portal
with listen("127.0.0.1", 0) as listener:
    serve_portal(listener, Path(sys.argv[1]), [], lambda: print("prêt", flush=True))
"""


def _wait_for(inbox: Inbox, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(inbox.messages) == count, [m["Subject"] for m in inbox.messages]


def test_the_service_portal_checks_at_start_and_again_at_each_period(published: store.Catalogue, inbox: Inbox):
    """The portal as `fir serve` runs it (supervisor.serve_portal, in a process of its own): a file damaged
    before it starts is told at once; one damaged later, at the next pass (the period made 1 s here)."""
    _overwrite_same_size(published.object_file(REGION, YEAR, _sha(_forms("r1")["archive"])))
    env = {**os.environ, "FIR_INTEGRITY_CHECK_S": "1"}
    command = [sys.executable, "-c", SERVE_PORTAL, str(published.outputs)]
    portal = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        _wait_for(inbox, 1)
        assert f"{REGION} {YEAR}, révision 1 : copie d'archivage" in inbox.messages[0].get_content()
        _truncate(published.object_file(REGION, YEAR, _sha(_forms("r2")["web"])))
        _wait_for(inbox, 2)
        later = inbox.messages[1].get_content()
        assert f"{REGION} {YEAR}, révision 2 : version web" in later and "révision 1" not in later  # told once
    finally:
        portal.terminate()
        portal.wait(timeout=30)
    assert [e.target for e in audit.entries(published.engine, action=audit.INTEGRITY)] == [
        f"{REGION} {YEAR} r2",
        f"{REGION} {YEAR} r1",
    ]


def test_a_draft_made_stale_by_a_publication_is_replaced_in_listings_and_refused(
    catalogue_backend: str, tmp_path: Path
):
    catalogue = store.open_catalogue(tmp_path / "outputs")
    _publish(catalogue, 1, "r1")
    with catalogue.lock(REGION, YEAR, timeout=10):  # two corrections of r1; the later one is published
        for number in (2, 3):
            catalogue.record_draft(REGION, YEAR, "HdF", number, _forms(f"r{number}"), record(f"r{number}"), [], "alice")
    folder = catalogue.outputs / REGION / str(YEAR)
    assert (folder / "projets" / "r2").is_dir()
    approved = _fir("approve", REGION, YEAR, 3, "--comment", "relu", "--outputs", catalogue.outputs, user=APPROVER)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert "Remplacé(s) par cette publication, plus jamais approuvable(s) : r2" in approved.stdout
    assert catalogue.revision(REGION, YEAR, 2)["status"] == "superseded" and not (folder / "projets").exists()
    listed = fir("drafts", "--outputs", catalogue.outputs)
    assert "Aucun projet en attente d'approbation." in listed.stdout
    assert f"{REGION} {YEAR} r2\tremplacé le " in listed.stdout and "ne peut plus être approuvé" in listed.stdout
    refused = _fir("approve", REGION, YEAR, 2, "--comment", "relu", "--outputs", catalogue.outputs, user=APPROVER)
    assert refused.returncode == 2 and "projet remplacé, la révision 3 a été publiée" in refused.stderr
    assert "Traceback" not in refused.stderr
    accounts.add(catalogue.engine, "p.approver", "approver", PASSWORD, "Paule Approbatrice")
    client = TestClient(create_app(catalogue.outputs))
    log_in(client, "p.approver")
    page = client.get(f"/staff/drafts/{REGION}/{YEAR}/2").text
    assert "status-superseded" in page and ">remplacé<" in page and "ne peut plus être approuvé" in page
    assert 'action="/staff/drafts/' not in page  # no approval form
    assert ">remplacé<" in client.get("/staff/").text


# -- with real builds ------------------------------------------------------------------------------------------


def test_the_next_build_notices_a_damaged_object_of_the_publication_and_restores_it(inputs_copy: Path, tmp_path: Path):
    outputs = tmp_path / "outputs"
    fir_build(YEAR, outputs, inputs_copy)  # r1, built and approved
    catalogue = store.open_catalogue(outputs)
    entry = catalogue.revision(REGION, YEAR, 1)
    pdf, archive = (catalogue.object_file(REGION, YEAR, entry[role]["sha256"]) for role in ("pdf", "archive"))
    public = (outputs / REGION / str(YEAR) / f"{NAME}.pdf").read_bytes()
    _overwrite_same_size(pdf)
    _truncate(archive)
    assert _sha((outputs / REGION / str(YEAR) / f"{NAME}.pdf").read_bytes()) == entry["pdf"]["sha256"]
    run = fir("build", "--region", REGION, "--year", YEAR, "--inputs", inputs_copy, "--outputs", outputs)
    assert run.returncode == 0, run.stdout + run.stderr
    said = run.stdout + run.stderr
    assert f"Fichier publié altéré, rétabli depuis sa copie intacte : {pdf}" in said
    assert f"Fichier publié altéré, rétabli depuis sa copie intacte : {archive}" in said
    assert "Données inchangées depuis la révision 1" in run.stdout
    assert pdf.read_bytes() == public and _sha(archive.read_bytes()) == entry["archive"]["sha256"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:  # lazily: the test's own catalogue engine may still hold the database file open
        subprocess.run(["umount", "--lazy", str(mountpoint)], check=True)


def test_a_build_failing_on_a_full_disk_removes_the_objects_it_wrote_and_says_so(inputs_copy: Path, small_disk: Path):
    outputs = small_disk / "outputs"
    fir_build(YEAR, outputs, inputs_copy)  # r1 published on the small disk
    folder = outputs / REGION / str(YEAR)
    catalogue = store.open_catalogue(outputs)
    entry = catalogue.revision(REGION, YEAR, 1)
    before = {p.name for p in (folder / ".objects").iterdir()}
    public = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and ".objects" not in p.parts}
    # Room for the correction's brochure and archival copy, not for its marked copy: three objects are
    # written, the third fails.
    room = entry["pdf"]["size"] + entry["archive"]["size"] + 256 * 1024
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    filler = small_disk / "filler"
    with open(filler, "wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * (free - room))
    thematics = inputs_copy / REGION / str(YEAR) / "thematics.csv"
    thematics.write_text(thematics.read_text(encoding="utf-8").replace("Parcours Cancer", "Parcours cancer"))
    run = fir(
        "build", "--region", REGION, "--year", YEAR, "--inputs", inputs_copy, "--outputs", outputs,
        "--reason", "libellé",
    )  # fmt: skip
    assert run.returncode == EXIT_OPERATIONAL, run.stdout + run.stderr
    assert "plus de place sur le disque" in run.stderr and "Traceback" not in run.stderr
    assert "Les 2 fichiers que cette construction avait déjà écrits" in run.stderr
    assert "qu'aucune révision ne référence, ont été supprimés" in run.stderr
    # the referenced ones untouched; the one file changed since r1, kept by the input version the build
    # recorded before its PDFs (publish/input_versions.py: the version stands, the build did not)
    edited = hashlib.sha256(thematics.read_bytes()).hexdigest()
    assert {p.name for p in (folder / ".objects").iterdir()} == before | {edited}
    assert {p: p.read_bytes() for p in public} == public
    assert [e["revision"] for e in catalogue.history(REGION, YEAR, statuses=None)["revisions"]] == [1]
    filler.unlink()
    again = fir(
        "build", "--region", REGION, "--year", YEAR, "--inputs", inputs_copy, "--outputs", outputs,
        "--reason", "libellé",
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "projet de révision 2" in again.stdout.lower()


def _draft_committed(catalogue_file: Path, number: int) -> bool:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{catalogue_file}?mode=ro", uri=True, timeout=0.2)) as db:
            return db.execute("SELECT 1 FROM revisions WHERE number = ?", (number,)).fetchone() is not None
    except sqlite3.Error:
        return False


def test_a_build_killed_after_its_draft_commit_is_reported_by_the_next_command_and_the_dashboard(
    inputs_copy: Path, tmp_path: Path
):
    outputs = tmp_path / "outputs"
    catalogue_file = outputs / "catalogue.sqlite3"
    env = {**os.environ, "LOGNAME": EDITOR}
    for attempt in range(3):  # the instant is watched from outside: a build that ended first is tried again
        again = ["--force", "--reason", "mise en page"] if attempt else []
        build = subprocess.Popen(
            [*build_command(YEAR, outputs, inputs_copy), *again],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=PROJECT_ROOT,
            start_new_session=True,  # its Prefect server goes with it
        )
        number = 1 + sum(_draft_committed(catalogue_file, n) for n in range(1, 10))
        try:
            deadline = time.monotonic() + 600
            while not _draft_committed(catalogue_file, number) and build.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.005)
            os.killpg(build.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(build.pid, signal.SIGKILL)
            build.wait()
        if build.returncode == -signal.SIGKILL and _draft_committed(catalogue_file, number):
            break
    assert build.returncode == -signal.SIGKILL
    assert store.open_catalogue(outputs).revision(REGION, YEAR, number)["status"] == "draft"

    listed = fir("drafts", "--outputs", outputs)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    said = f"le projet r{number} de {REGION} {YEAR} a été enregistré par une construction interrompue avant sa fin"
    assert f"Attention : {said}" in listed.stderr
    assert "les approbateurs n'en ont peut-être pas été prévenus" in listed.stderr
    assert f"fir approve {REGION} {YEAR} {number} --comment relu --outputs {outputs}" in listed.stderr
    again = fir("build", "--region", REGION, "--year", YEAR, "--inputs", inputs_copy, "--outputs", outputs)
    assert again.returncode == 0 and said[1:] in again.stdout + again.stderr, again.stdout + again.stderr
    accounts.add(store.open_catalogue(outputs).engine, "p.approver", "approver", PASSWORD, "Paule Approbatrice")
    client = TestClient(create_app(outputs))
    log_in(client, "p.approver")
    assert f"Le projet r{number} (Hauts-de-France {YEAR}) a été enregistré par une construction interrompue" in (
        client.get("/staff/").text
    )
    assert "enregistré par une construction interrompue" in client.get(f"/staff/drafts/{REGION}/{YEAR}/{number}").text
    # decided, the draft is no longer reported, and its build's mark is gone
    rejected = _fir("reject", REGION, YEAR, number, "--comment", "à refaire", "--outputs", outputs, user=APPROVER)
    assert rejected.returncode == 0, rejected.stdout + rejected.stderr
    assert "interrompue" not in fir("repair", "--outputs", outputs).stderr
    assert not (outputs / REGION / str(YEAR) / ".constructions").exists()


def test_a_build_mark_is_believed_only_while_its_own_process_runs(tmp_path: Path):
    """A mark names its process by number and start time: a dead one, or a number given since to another
    process, is an interrupted build; marks of drafts no longer pending go at the next recovery."""
    from flows.edition.publish import builds

    folder = tmp_path / "edition"
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        host = socket.gethostname()
        marks = {
            1: {"pid": sleeper.pid, "started": builds._started(sleeper.pid), "host": host, "at": time.time()},
            2: {"pid": sleeper.pid, "started": 1, "host": host, "at": time.time()},  # the number reused since
            3: {"pid": _dead_pid(), "started": 1, "host": host, "at": time.time()},
            4: {"pid": _dead_pid(), "started": 1, "host": host, "at": time.time()},  # its draft decided since
        }
        (folder / builds.FOLDER).mkdir(parents=True)
        for number, mark in marks.items():
            (folder / builds.FOLDER / f"r{number}.json").write_text(json.dumps(mark), "utf-8")
        assert builds.interrupted(folder, {1, 2, 3}) == [2, 3]
        assert builds.interrupted(folder, {1, 2, 3}, clear=True) == [2, 3]
        assert sorted(p.name for p in (folder / builds.FOLDER).iterdir()) == ["r1.json", "r2.json", "r3.json"]
    finally:
        sleeper.kill()
        sleeper.wait()
    assert builds.interrupted(folder, {1, 2, 3}) == [1, 2, 3]  # its process gone: interrupted too


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid
