"""The yearly routine in the browser, tried as a new user would with only `fir serve` and `fir user` typed in a
terminal (issue 26): an editor prepares 2025 from 2024, downloads the workbook, uploads it filled (saved by
LibreOffice, so its formulas hold values) with one wrong cell, reads the located error, uploads it fixed, edits
two texts in the browser, imports a Word document as a third, sees the pages where a text lands, launches the
draft and follows the run; an approver reads the draft and its input version and approves it; a month later a
correction (100 000 € moved between two thematics, uploaded in the workbook) gives the approver the erratum
and the input changes (cell, French column title, old → new) to approve; the public page offers the 2025 PDF,
whose first page says 2025. Every page met passes axe-core (all rules) at 375 and 1280 px. Then, the working
copy of 2025 deleted, `fir rebuild` makes each revision again from the store alone, byte for byte.

With FIR_GUIDE_SCREENSHOTS=1 (scripts/guide_screenshots.sh) the steps' screenshots are saved for the staff
guide (templates/portal/guide/, served at /staff/guide).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from flows import paths
from flows.edition.publish import store
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, REGION
from tests.journey_helpers import (
    DESKTOP,
    WORD_ITEMS,
    WRONG_VALUE,
    Looker,
    Workbooks,
    fill_workbook,
    fir_serve,
    fir_user,
    log_in,
    rebuild_differences,
    unmarked,
    word_document,
)
from tests.office import SOFFICE

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (scripts/setup.sh installs it)")

PASSWORD = "correct horse battery staple"
EDITOR, APPROVER = "l.bernard", "m.dupont"
EDITION = f"/staff/editions/{REGION}/2025"
EDITED = ("fir.md", "actions/p2-msp.md")  # the two texts rewritten in the browser
IMPORTED = "thematics/cancer.md"  # the text the service sends as a Word document
CORRECTION = "100 000 € reclassés en investissements"
SLOW = 60_000  # ms: what the server does on a click (a version recorded, a publication) on a loaded machine


def _new_page(browser: Browser) -> Page:
    """A person's own window (cookies of their own), in French; axe-core is injected despite the pages' policy."""
    context = browser.new_context(bypass_csp=True, viewport=DESKTOP, accept_downloads=True, locale="fr-FR")
    return context.new_page()


def _prepare(page: Page, base: str, looker: Looker) -> None:
    """The editor's first steps: the editions, « Préparer l'édition 2025 », the checklist."""
    page.get_by_role("navigation", name="Menu du personnel").get_by_role("link", name="Éditions").click()
    expect(page.get_by_role("heading", name="Éditions", level=1)).to_be_visible()
    looker.look(page, "editions")
    page.get_by_role("button", name="Préparer l'édition 2025").click()
    expect(page.get_by_role("status").first).to_contain_text("Édition créée", timeout=SLOW)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Édition 2025")
    assert page.url.endswith(f"{EDITION}?fait=cree")
    looker.look(page, "edition-creee")


def _download_workbook(page: Page, looker: Looker) -> bytes:
    page.get_by_role("link", name="Tableaux, documents Word et images").click()
    expect(page.get_by_role("heading", name="Fichiers de l'édition 2025")).to_be_visible()
    looker.look(page, "fichiers", "section[aria-labelledby=classeur]")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le classeur à remplir").click()
    assert download.value.suggested_filename == f"figures-{REGION}-2025.xlsx"
    return Path(download.value.path()).read_bytes()


def _send(page: Page, tmp: Path, label: str, name: str, data: bytes, button: str) -> None:
    (tmp / name).write_bytes(data)
    page.locator("input[type=file]").and_(page.get_by_label(label)).set_input_files(str(tmp / name))
    with page.expect_navigation(timeout=120_000):  # checked against a copy of the edition: seconds under load
        page.get_by_role("button", name=button).click()


def _upload_workbooks(page: Page, books: Workbooks, tmp: Path, looker: Looker) -> None:
    """The workbook with one amount typed as the brochure prints it: refused on its sheet, cell and French
    column, nothing saved; then fixed and accepted as a new input version."""
    _send(page, tmp, "Classeur rempli", "chiffres 2025.xlsx", books.wrong, "Envoyer le classeur")
    report = page.locator("#resultat-classeur")
    expect(report.get_by_role("alert").first).to_contain_text("refusé : 1 erreur à corriger")
    error = report.locator("li.error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text(
        f"Feuille « revenue » (Recettes), cellule {books.wrong_cell}, colonne « Montant final de l'année »"
    )
    expect(error).to_contain_text(f"valeur « {WRONG_VALUE} »")
    expect(report).not_to_contain_text("Fichier enregistré")
    looker.look(page, "classeur-refuse", "#resultat-classeur")
    _send(page, tmp, "Classeur rempli", "chiffres 2025.xlsx", books.right, "Envoyer le classeur")
    report = page.locator("#resultat-classeur")
    expect(report.get_by_role("status")).to_contain_text("Fichier enregistré : nouvelle version des données n°")
    expect(report).to_contain_text("accepté : aucune erreur dans les tableaux")
    looker.look(page, "classeur-accepte", "#resultat-classeur")


def _edit_text(page: Page, base: str, name: str, change: tuple[str, str], looker: Looker | None) -> None:
    """A text opened from the checklist, its « À RÉÉCRIRE » line deleted and a sentence brought up to date."""
    page.goto(f"{base}{EDITION}")
    page.locator(f'ul.checklist a[href$="/textes/{name}"]').click()  # the text's title, its file beside
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.url.endswith(f"/textes/{name}")
    area = page.get_by_label("Texte en Markdown")
    markdown = area.input_value()
    assert "À RÉÉCRIRE" in markdown and change[0] in markdown, name
    area.fill(unmarked(markdown).replace(change[0], change[1], 1))
    page.get_by_label("Ce qui a changé").fill("texte mis à jour pour 2025")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text("Texte enregistré", timeout=SLOW)
    if looker is None:
        return
    # the page(s) where the text lands, laid out again beside it (the first layout of an edition: up to a minute)
    image = page.locator("#pages img").first
    expect(image).to_be_visible(timeout=180_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=60_000)
    expect(page.locator("#pages figcaption").first).to_contain_text("Page")
    looker.look(page, "texte", ".editor", tall=True)


def _import_word(page: Page, base: str, tmp: Path, looker: Looker) -> None:
    page.goto(f"{base}{EDITION}/fichiers")
    page.get_by_label("Texte à remplacer").select_option(IMPORTED)
    _send(page, tmp, "Document", "cancer 2025.docx", word_document(), "Importer le document")
    report = page.locator("#resultat-word")
    expect(report.get_by_role("status")).to_contain_text("Fichier enregistré")
    expect(report).to_contain_text(f"importé dans 1 texte(s) : {IMPORTED}")
    expect(report).to_contain_text("tableau")  # what was not imported is listed
    looker.look(page, "word-importe", "#resultat-word")


def _rewrite_other_texts(page: Page, base: str, inputs: Path) -> int:
    """The 74 other texts the communication officer rewrites, each saved through the editor's own form (its
    address, CSRF token and version), its « À RÉÉCRIRE » line deleted: typing them one by one in the browser
    proves nothing more than the two above."""
    page.goto(f"{base}{EDITION}/textes/{EDITED[0]}")
    csrf = page.locator("#texte-form input[name=csrf]").input_value()
    version = page.locator("#texte-form input[name=base]").input_value()
    folder = inputs / REGION / "2025" / "texts"
    saved = 0
    for path in sorted(folder.rglob("*.md")):
        markdown = path.read_text(encoding="utf-8")
        name = path.relative_to(folder).as_posix()
        if "À RÉÉCRIRE" not in markdown or name in (*EDITED, IMPORTED):
            continue
        form = {"csrf": csrf, "base": version, "texte": unmarked(markdown), "message": "texte relu pour 2025"}
        answer = page.request.post(f"{base}{EDITION}/textes/{name}", form=form, max_redirects=0)
        assert answer.status == 303, f"{name}: {answer.status} {answer.text()[:500]}"
        saved += 1
    return saved


def _launch(page: Page, base: str, looker: Looker, reason: str = "") -> int:
    """The draft launched from the edition's page, its run followed until it names the draft."""
    page.goto(f"{base}{EDITION}")
    expect(page.get_by_role("heading", name="Lancer le projet")).to_be_visible()
    if not reason:
        expect(page.locator("p.state")).not_to_contain_text("à compléter")
        looker.look(page, "edition-prete")
    page.get_by_label("Motif").fill(reason)
    page.get_by_role("button", name="Lancer le projet").click()
    expect(page).to_have_url(re.compile(r"/staff/runs/"), timeout=SLOW)
    run = page.url
    # a running build's page refreshes itself every 3 s (axe's meta-refresh refuses it, WCAG 2.2.1: the page
    # offers to stop it, and is checked by every rule once stopped)
    page.get_by_role("link", name="Arrêter la mise à jour automatique").click()
    expect(page.get_by_text("Mise à jour automatique arrêtée")).to_be_visible()
    looker.look(page, "construction" if not reason else "correction-en-cours")
    page.goto(run)
    draft = page.get_by_role("link", name=re.compile(r"Voir le projet \(révision \d+\)"))
    expect(draft).to_be_visible(timeout=420_000)
    expect(page.locator("p.notice")).to_contain_text("construit à partir de la version n°")
    if not reason:
        looker.look(page, "construction-terminee")
    return int(re.search(r"révision (\d+)", draft.inner_text()).group(1))  # type: ignore[union-attr]


def _approve(page: Page, base: str, revision: int, looker: Looker, name: str) -> None:
    page.goto(f"{base}/staff/drafts/{REGION}/2025/{revision}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"révision {revision}")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("des données de l'édition")
    data = page.locator("section[aria-labelledby=donnees]")
    if revision == 1:
        expect(data).to_contain_text("Première publication : le projet est construit à partir de la version n°")
    else:
        _erratum_and_input_changes(page)
    looker.look(page, name, "main")
    if revision > 1:
        looker.shoot(page, f"{name}-donnees", "section[aria-labelledby=donnees]")
    page.get_by_label("Commentaire").fill("relu, chiffres vérifiés")
    despite = page.get_by_label(re.compile(r"J'approuve malgré \d+ éléments? non confirmés?"))
    if despite.count():
        despite.check()
    page.get_by_role("button", name="Approuver et publier").click()
    expect(page.get_by_role("status").first).to_contain_text("Révision approuvée", timeout=SLOW)


def _erratum_and_input_changes(page: Page) -> None:
    """The correction as the approver reads it: the figures changed (erratum) and the cells of the inputs."""
    erratum = page.get_by_role("row", name=re.compile("Investissements"), exact=False).first
    expect(erratum).to_contain_text(re.compile(r"153\s285\s611"))
    expect(erratum).to_contain_text(re.compile(r"153\s385\s611"))
    data = page.locator("section[aria-labelledby=donnees]")
    expect(data).to_contain_text("Données modifiées depuis la révision 1")
    expect(data).to_contain_text("Dépenses par thématique")
    cells = data.get_by_role("row", name=re.compile("Investissements en ES et ESMS"))
    expect(cells).to_contain_text("Montant")  # the French title of the column
    expect(cells).to_contain_text(re.compile(r"153\s285\s611\s€\s*153\s385\s611\s€"))  # before, after


def _public_pdf(page: Page, base: str, revision: int, tmp: Path, looker: Looker) -> str:
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name=re.compile("FIR 2025"))).to_be_visible()
    looker.look(page, "public")
    link = page.get_by_role("link", name=f"FIR-2025-Hauts-de-France-r{revision}.pdf")
    with page.expect_download() as download:
        link.click()
    pdf = tmp / download.value.suggested_filename
    download.value.save_as(pdf)
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True)
    return first.stdout


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium as a French member of staff has it (its own words in French: « Choisir un fichier »), since
    the guide shows its screens; Debian's chromium-l10n gives those words (scripts/setup.sh installs it)."""
    with sync_playwright() as playwright:
        args = [*CHROMIUM_ARGS, "--lang=fr-FR"]
        # LANGUAGE alone: a LANG naming a locale the machine lacks would cost Chromium its UTF-8 file names
        # (« corrigé.xlsx » would then never be sent)
        env = {**os.environ, "LANGUAGE": "fr"}
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args, env=env)
        yield launched
        launched.close()


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """A copy of inputs/ (the real 2024 edition), an empty store, a Prefect home of the service's own."""
    monkeypatch.delenv("FIR_DATABASE_URL", raising=False)
    inputs = tmp_path / "inputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    return inputs, tmp_path / "outputs", tmp_path / "prefect-home"


def test_the_yearly_routine_in_the_browser(folders: tuple[Path, Path, Path], browser: Browser, tmp_path: Path):
    inputs, outputs, home = folders
    started = time.monotonic()
    fir_user(outputs, EDITOR, "rédacteur", "Léa Bernard", PASSWORD)
    fir_user(outputs, APPROVER, "approbateur", "Marie Dupont", PASSWORD)
    looker = Looker()
    with fir_serve(inputs, outputs, home) as service:
        base = service.base
        editor = _new_page(browser)
        log_in(editor, base, EDITOR, PASSWORD)
        looker.look(editor, "tableau-de-bord")
        _prepare(editor, base, looker)
        books = fill_workbook(_download_workbook(editor, looker))
        _upload_workbooks(editor, books, tmp_path, looker)
        assert _rewrite_other_texts(editor, base, inputs) == 74
        _import_word(editor, base, tmp_path, looker)
        _edit_text(editor, base, EDITED[1], ("pour 15 nouveaux projets", "pour 18 nouveaux projets"), None)
        # the last text rewritten: the edition is complete, its pages are laid out beside the text
        _edit_text(editor, base, EDITED[0], ("Environ 5 %", "En 2025, environ 5 %"), looker)
        imported = (inputs / REGION / "2025" / "texts" / IMPORTED).read_text(encoding="utf-8")
        assert "**Le dépistage**" in imported and "*première*" in imported and f"- {WORD_ITEMS[0]}" in imported
        editor.goto(f"{base}{EDITION}/versions")
        looker.look(editor, "historique", "section[aria-labelledby=liste]")
        looker.shoot(editor, "historique-comparer", "section[aria-labelledby=comparer]")
        first = _launch(editor, base, looker)
        assert first == 1

        approver = _new_page(browser)
        log_in(approver, base, APPROVER, PASSWORD)
        _approve(approver, base, 1, looker, "projet")

        # A month later: a correction of one figure, uploaded in the workbook, launched with its reason
        editor.goto(f"{base}{EDITION}/fichiers")
        _send(editor, tmp_path, "Classeur rempli", "corrigé.xlsx", books.corrected, "Envoyer le classeur")
        expect(editor.locator("#resultat-classeur").get_by_role("status")).to_contain_text("Fichier enregistré")
        assert _launch(editor, base, looker, CORRECTION) == 2
        _approve(approver, base, 2, looker, "projet-correction")
        first_page = _public_pdf(approver, base, 2, tmp_path, looker)

    assert "2025" in first_page, first_page
    published = store.open_catalogue(outputs).revision(REGION, 2025, 2)
    assert published is not None and published["status"] == store.PUBLISHED
    assert published["launched_by"] == EDITOR and published["decided_by"] == APPROVER
    assert not looker.found, "\n\n".join(f"{name}:\n{report}" for name, report in looker.found.items())
    in_browser = time.monotonic() - started

    # Every revision the portal made, rebuilt from the store alone: the working copy of 2025 deleted
    shutil.rmtree(inputs / REGION / "2025")
    assert not rebuild_differences(outputs, REGION, 2025, tmp_path / "rebuilt")
    print(f"yearly routine: {in_browser:.0f} s in the browser, {time.monotonic() - started:.0f} s with the rebuilds")
