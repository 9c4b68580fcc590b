"""The download page: listing, downloads, path traversal, and a real browser clicking a link."""

from __future__ import annotations

import html
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from flows import paths
from flows.portal.web import create_app
from tests.conftest import REGION
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, fir_build


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    """2024 published twice (a correction), 2018 once."""
    base = tmp_path_factory.mktemp("web")
    inputs, outputs = base / "inputs", base / "outputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    for year in (2024, 2018):
        fir_build(year, outputs, inputs)
    texts = inputs / REGION / "2024" / "texts" / "chiffres.md"
    texts.write_text(texts.read_text(encoding="utf-8") + "\nTexte complété.\n", encoding="utf-8")
    fir_build(2024, outputs, inputs, reason="précision ajoutée au texte des chiffres")
    return outputs


@pytest.fixture(scope="module")
def client(outputs) -> TestClient:
    return TestClient(create_app(outputs))


def test_page_lists_editions_and_revisions_latest_first(client):
    page = client.get("/").text
    assert page.index("FIR-2024-Hauts-de-France-r2.pdf") < page.index("FIR-2024-Hauts-de-France-r1.pdf")
    assert "précision ajoutée au texte des chiffres" in page and "Première publication" in page
    assert "FIR-2018-Hauts-de-France-r1.pdf" in page
    assert "\u00a0Ko)" in page


def test_the_archival_copy_and_the_revision_history_are_said_in_plain_words(client):
    """What an archival PDF and the revision history are, for the public (issue 23), not format names alone."""
    page = html.unescape(client.get("/").text)
    assert "PDF pour l'archivage (PDF/A, avec les tableaux de chiffres joints)" in page
    assert "Historique des révisions (fichier de données JSON : date et motif de chaque publication)" in page
    assert ">PDF/A-3<" not in page and "Archivage (PDF/A-3)" not in page and "révisions (JSON)" not in page


def test_download_has_pdf_type_and_file_name(client, outputs):
    answer = client.get(f"/download/{REGION}/2024/2")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="FIR-2024-Hauts-de-France-r2.pdf"'
    assert answer.content == (outputs / REGION / "2024" / "fir-hauts-de-france-2024.pdf").read_bytes()
    first = client.get(f"/download/{REGION}/2024/1").content
    assert first == (outputs / REGION / "2024" / "revisions" / "r1" / "fir-hauts-de-france-2024.pdf").read_bytes()
    assert client.get(f"/download/{REGION}/2024/latest").content == answer.content
    archive = client.get(f"/download/{REGION}/2024/2/archive")
    assert archive.headers["content-disposition"].endswith('"FIR-2024-Hauts-de-France-r2-archive.pdf"')


def test_manifest_is_served_as_json(client):
    manifest = client.get(f"/manifest/{REGION}/2024").json()
    assert [r["revision"] for r in manifest["revisions"]] == [1, 2]


@pytest.mark.parametrize(
    "url",
    [
        "/download/../../etc/passwd",
        "/download/..%2F..%2Fetc/2024/1",
        f"/download/{REGION}/2024/..%2F..%2F..%2Fetc%2Fpasswd",
        f"/download/{REGION}/2024/3",
        f"/download/{REGION}/1999/1",
        "/download/%2Fetc/2024/1",
        f"/download/{REGION}/2024/1%2F..%2F..%2Fmanifest.json",
        "/manifest/../../etc/2024",
        "/manifest/HAUTS/2024",
        f"/download/{REGION}/abcd/1",
        "/etc/passwd",
        "/download/hauts-de-france/2024/revisions/r1/fir-hauts-de-france-2024.pdf",
    ],
)
def test_nothing_outside_published_files_can_be_reached(client, url):
    answer = client.get(url)
    assert answer.status_code in (400, 404, 422), (url, answer.status_code)
    assert b"root:" not in answer.content and not answer.content.startswith(b"%PDF")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_browser_downloads_the_2024_brochure(outputs, tmp_path):
    """Headless Chromium opens the page, clicks the current 2024 brochure, and gets the same bytes."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(outputs), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
            )
            page = browser.new_page(accept_downloads=True)
            page.goto(f"http://127.0.0.1:{port}/")
            assert page.title() == "Brochures du Fonds d'intervention régional"
            page.screenshot(path=str(tmp_path / "downloads.png"))
            with page.expect_download() as info:
                page.get_by_role("link", name="FIR-2024-Hauts-de-France-r2.pdf").click()
            download = info.value
            assert download.suggested_filename == "FIR-2024-Hauts-de-France-r2.pdf"
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert saved.read_bytes() == (outputs / REGION / "2024" / "fir-hauts-de-france-2024.pdf").read_bytes()


def test_downloads_come_from_the_catalogue_even_when_the_views_are_gone(tmp_path: Path):
    from tests import store_child

    outputs = tmp_path / "outputs"
    store_child.main(outputs, "a")
    folder = outputs / REGION / str(store_child.YEAR)
    published = (folder / f"fir-{REGION}-{store_child.YEAR}.pdf").read_bytes()
    for view in (folder / f"fir-{REGION}-{store_child.YEAR}.pdf", folder / "manifest.json"):
        view.unlink()
    client = TestClient(create_app(outputs))
    assert client.get(f"/download/{REGION}/{store_child.YEAR}/latest").content == published
    assert [r["revision"] for r in client.get(f"/manifest/{REGION}/{store_child.YEAR}").json()["revisions"]] == [1]
    assert client.get(f"/download/{REGION}/{store_child.YEAR}/2").status_code == 404
