"""The web edition's address on real builds of 2018 (flows/edition/validate/address.py): with no setting the
back cover, its link and the web edition's footer leave it out and the report warns; with a public address
it is printed; an address of this machine or of a private network stops `fir build` (exit 1) and `fir check`
with the French error naming the setting, and nothing published changes. Every file a build makes is read
back: the PDFs' text (pypdf) and link annotations (pikepdf), the web edition's HTML; and the draft's page
shows the address."""

from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from flows import paths
from flows.edition.publish import store
from flows.portal.web import create_app
from tests.helpers import EDITOR, REGION, build_command, fir_build
from tests.portal_helpers import APPROVER_ACCOUNT, add_accounts, copy_outputs, log_in

YEAR = 2018
PUBLIC = "https://www.example.org/fir"  # a documentation domain (RFC 2606): public, never contacted
PRINTED = f"{PUBLIC}/editions/{REGION}/{YEAR}/web/"
PDF_ROLES = ("pdf", "archive", "draft", "print")
# What no build may print, whatever the setting.
LOCAL = re.compile(r"127\.0\.0\.1|localhost|\[?::1\]?|192\.168\.|(?<![\d.])10\.0\.0\.5|\bfir\.local\b", re.IGNORECASE)
UNSET_WARNING = (
    "[avertissement] Aucune adresse publique n'est réglée pour la version web : la ligne « Version web "
    "accessible : … » est retirée de la quatrième de couverture et de la version web."
)


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FIR_PORTAL_URL", "FIR_SERVICE_URL")}
    return {**env, **settings}


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


def _files(outputs: Path, number: int) -> dict[str, Path]:
    catalogue = store.open_catalogue(outputs)
    entry = catalogue.revision(REGION, YEAR, number)
    assert entry is not None
    found = dict(entry)
    return {role: catalogue.object_file(REGION, YEAR, found[role]["sha256"]) for role in (*PDF_ROLES, "web")}


def _pdf_text(pdf: Path) -> str:
    return _plain(" ".join(page.extract_text() or "" for page in PdfReader(pdf).pages))


def _link_targets(pdf: Path) -> list[str]:
    """Every URI of the PDF's link annotations."""
    with pikepdf.open(pdf) as document:
        return [
            str(annotation.A.URI)
            for page in document.pages
            for annotation in page.obj.get("/Annots") or []
            if annotation.get("/Subtype") == "/Link" and "/A" in annotation and "/URI" in annotation.A
        ]


def _draft_page(outputs: Path, number: int) -> str:
    client = TestClient(create_app(outputs))
    log_in(client, APPROVER_ACCOUNT)
    page = client.get(f"/staff/drafts/{REGION}/{YEAR}/{number}")
    assert page.status_code == 200
    return _plain(html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """2018 built with no address set (r1, published), then with FIR_PORTAL_URL public (r2, a draft)."""
    outputs = tmp_path_factory.mktemp("web-address") / "outputs"
    unset = fir_build(YEAR, outputs, env=_env())
    command = [*build_command(YEAR, outputs, reason="adresse publique du portail"), "--force"]
    public = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env={**_env(FIR_PORTAL_URL=PUBLIC), "LOGNAME": EDITOR}
    )
    assert public.returncode == 0, public.stdout + public.stderr
    add_accounts(outputs)
    return outputs, unset.stdout, public.stdout


def test_with_no_address_set_nothing_is_printed_and_the_report_warns(built):
    outputs, stdout, _ = built
    assert UNSET_WARNING in stdout
    assert "où : hauts-de-france/2018/edition.toml, réglage [publication] web_url" in stdout
    files = _files(outputs, 1)
    for role in PDF_ROLES:
        text = _pdf_text(files[role])
        assert "Version web" not in text, role
        assert not LOCAL.search(text), role
        assert not [uri for uri in _link_targets(files[role]) if "/editions/" in uri or LOCAL.search(uri)], role
    web = files["web"].read_text(encoding="utf-8")
    assert "Version web accessible" not in web and 'class="back-web"' not in web
    assert not LOCAL.search(web)
    assert "Télécharger la brochure imprimable (PDF)" in web  # the footer keeps its link to the PDF
    entry = store.open_catalogue(outputs).revision(REGION, YEAR, 1)
    assert entry and entry["web_address"] == {"url": None, "setting": ""}
    assert any(w.startswith("Aucune adresse publique n'est réglée") for w in entry["warnings"])
    page = _draft_page(outputs, 1)
    assert "Adresse web aucune : ni l'édition ni le portail n'ont d'adresse publique réglée" in page
    assert "demandez à l'administrateur du service de régler l'adresse publique du portail" in page
    assert "Aucune adresse publique n'est réglée pour la version web" in page  # the report's warning, on the page


def test_a_public_address_is_printed_linked_and_shown_on_the_draft_page(built):
    outputs, _, stdout = built
    assert "Aucune adresse publique" not in stdout and "Adresses web imprimées" not in stdout
    files = _files(outputs, 2)
    for role in PDF_ROLES:
        assert f"Version web accessible : {PRINTED.removeprefix('https://')}" in _pdf_text(files[role]), role
        if role != "print":  # the print shop's file (PDF/X-4) has no links at all
            assert PRINTED in _link_targets(files[role]), role
        assert not [uri for uri in _link_targets(files[role]) if LOCAL.search(uri)], role
        assert not LOCAL.search(_pdf_text(files[role]))
    web = files["web"].read_text(encoding="utf-8")
    assert f'Version web accessible : <a href="{PRINTED}">' in web
    assert not LOCAL.search(web)
    entry = store.open_catalogue(outputs).revision(REGION, YEAR, 2)
    assert entry and entry["web_address"] == {"url": PRINTED, "setting": "FIR_PORTAL_URL"}
    page = _draft_page(outputs, 2)
    assert f"Adresse web {PRINTED} — imprimée au dos de la brochure et dans sa version web" in page
    assert "(adresse publique du portail, réglée par l'administrateur du service)" in page
    assert "FIR_PORTAL_URL" not in page.split("Rapport de validation")[0]  # the setting's name: in the report only


@pytest.mark.parametrize(
    ("toml", "variable", "kind", "shown", "setting"),
    [
        (None, "http://127.0.0.1:8000", "une adresse de cette machine", "http://127.0.0.1:8000", "FIR_PORTAL_URL"),
        ("http://localhost:8000/fir/", None, "une adresse de cette machine", "http://localhost:8000/fir/", "toml"),
        ("http://[::1]/fir/", PUBLIC, "une adresse de cette machine", "http://[::1]/fir/", "toml"),
        (None, "http://192.168.1.20:8000", "une adresse de réseau privé", "http://192.168.1.20:8000", "FIR_PORTAL_URL"),
        ("https://10.0.0.5/fir/", None, "une adresse de réseau privé", "https://10.0.0.5/fir/", "toml"),
    ],
)
def test_a_local_or_private_address_stops_the_build_naming_the_setting(
    built, tmp_path, inputs_copy, toml, variable, kind, shown, setting
):
    outputs = copy_outputs(built[0], tmp_path / "outputs")
    before = store.open_catalogue(outputs).history(REGION, YEAR, statuses=None)
    published = hashlib.sha256(paths.brochure_path(outputs, REGION, YEAR).read_bytes()).hexdigest()
    if toml:
        path = inputs_copy / REGION / str(YEAR) / "edition.toml"
        path.write_text(path.read_text(encoding="utf-8") + f'\n[publication]\nweb_url = "{toml}"\n', encoding="utf-8")
    env = _env(**({"FIR_PORTAL_URL": variable} if variable else {}))
    named = "edition.toml, [publication] web_url" if setting == "toml" else "FIR_PORTAL_URL"
    where = (
        f"où : {REGION}/{YEAR}/edition.toml, réglage [publication] web_url"
        if setting == "toml"
        else "où : variable d'environnement FIR_PORTAL_URL"
    )
    error = f"[ERREUR] L'adresse de la version web à imprimer est {kind} : « {shown} » ({named}) — "
    command = [*build_command(YEAR, outputs, inputs_copy, reason="essai"), "--force"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, env={**env, "LOGNAME": EDITOR})
    assert run.returncode == 1, run.stdout + run.stderr
    assert error in run.stdout and where in run.stdout
    assert "Imprimée dans la brochure, elle ne mènerait les lecteurs nulle part. À faire : " in run.stdout
    assert "des erreurs empêchent la construction." in run.stdout
    assert "Rien n'a été publié." in run.stderr and "Traceback" not in run.stderr
    # nothing published is touched: the same revisions, the same brochure
    assert store.open_catalogue(outputs).history(REGION, YEAR, statuses=None) == before
    assert hashlib.sha256(paths.brochure_path(outputs, REGION, YEAR).read_bytes()).hexdigest() == published
    # `fir check` reports it too, from the same settings
    checked = _check(inputs_copy, outputs, env)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert error in checked.stdout and where in checked.stdout


def _check(inputs: Path, outputs: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flows.cli", "check", "--region", REGION, "--year", str(YEAR)]
    command += ["--inputs", str(inputs), "--outputs", str(outputs)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def test_fir_check_warns_when_no_address_is_set_and_is_silent_with_a_public_one(inputs_copy, tmp_path):
    unset = _check(inputs_copy, tmp_path, _env())
    assert unset.returncode == 0, unset.stdout + unset.stderr
    assert UNSET_WARNING in unset.stdout
    public = _check(inputs_copy, tmp_path, _env(FIR_PORTAL_URL=PUBLIC))
    assert public.returncode == 0, public.stdout + public.stderr
    assert "Adresses web imprimées" not in public.stdout
