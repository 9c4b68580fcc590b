"""The editors' pages of the portal (FastAPI's TestClient, real inputs copied per test): who may (anonymous
and approvers refused on every editing route, each refusal audited), the CSRF guard, next year's edition
prepared once, the checklist following the work, the text editor (figure names offered, `[[…]]` checked),
and — through the store of input versions — a save is a version, two saves from one base conflict with the
difference shown and nothing lost, an edit made on disk between two saves is its own version."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from flows import paths
from flows.edition.publish import store
from flows.notices import audit
from flows.portal import input_store, texts
from flows.portal.web import create_app
from tests.helpers import REGION
from tests.portal_helpers import APPROVER_ACCOUNT, EDITOR_ACCOUNT, add_accounts, audit_lines, csrf_of, log_in

EDITION = f"/staff/editions/{REGION}"


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    """inputs/ (the real editions, copied) and outputs/ with the staff accounts (no build needed)."""
    inputs = tmp_path / "inputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    outputs = tmp_path / "outputs"
    add_accounts(outputs)
    return inputs, outputs


def _client(site: tuple[Path, Path]) -> TestClient:
    inputs, outputs = site
    return TestClient(create_app(outputs, inputs))


def _editing_routes(client: TestClient) -> list[tuple[str, str, str]]:
    """Every editors' route (method, path, the action it needs), its parameters those of 2024's fir.md."""
    values = {"region": REGION, "year": "2024", "name": "fir.md", "name:path": "fir.md"}
    found = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute) or not route.path.startswith("/staff/editions"):
            continue
        path = re.sub(r"\{([\w:]+)\}", lambda m: values[m.group(1)], route.path)
        reads = route.path in (
            "/staff/editions",
            "/staff/editions/{region}/{year}",
            "/staff/editions/{region}/{year}/versions",
        )
        found += [(method, path, "read" if reads else "edit") for method in sorted(route.methods or ())]
    assert len(found) >= 12, found
    return found


def test_anonymous_visitors_are_refused_on_every_editing_route(site: tuple[Path, Path]):
    client = _client(site)
    token = csrf_of(client.get("/staff/login").text)  # the anonymous session's
    for method, path, _ in _editing_routes(client):
        answer = TestClient(client.app).request(method, path, follow_redirects=False)
        if method == "GET" and not path.endswith(".png"):
            assert answer.status_code == 303 and answer.headers["location"].startswith("/staff/login"), path
        elif method == "GET":
            assert answer.status_code == 401, path
        else:
            assert answer.status_code == 403 and "Formulaire expiré ou invalide" in answer.text, path
            again = client.request(method, path, data={"csrf": token}, follow_redirects=False)
            assert again.status_code == 401 and "Connexion requise" in again.text, path
    assert not (site[0] / REGION / "2025").exists()


def test_approvers_read_the_workspace_and_history_but_edit_nothing(site: tuple[Path, Path]):
    client = _client(site)
    csrf = log_in(client, APPROVER_ACCOUNT)
    before = len(audit_lines(site[1], audit.ACCESS))
    refused = 0
    for method, path, need in _editing_routes(client):
        data = {"csrf": csrf, "annee": "2025", "texte": "x", "base": "1", "version": "1"} if method == "POST" else None
        answer = client.request(method, path, data=data, follow_redirects=False)
        if need == "read":
            assert answer.status_code == 200, (method, path, answer.status_code)
            assert "Préparer l'édition" not in answer.text and "Rétablir cette version" not in answer.text
        else:
            assert answer.status_code == 403 and "Accès refusé" in answer.text, (method, path)
            refused += 1
    lines = audit_lines(site[1], audit.ACCESS)
    assert len(lines) - before == refused and refused >= 8
    assert all(line.actor == APPROVER_ACCOUNT and line.outcome == audit.REFUSED for line in lines[:refused])
    assert not (site[0] / REGION / "2025").exists()


def test_a_change_without_the_session_token_is_refused_and_changes_nothing(site: tuple[Path, Path]):
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    answer = client.post(f"{EDITION}/preparer", data={"annee": "2025"}, follow_redirects=False)
    assert answer.status_code == 403 and "Formulaire expiré ou invalide" in answer.text
    text = site[0] / REGION / "2024" / "texts" / "fir.md"
    before = text.read_bytes()
    answer = client.post(f"{EDITION}/2024/textes/fir.md", data={"texte": "effacé", "base": "1"})
    assert answer.status_code == 403 and text.read_bytes() == before
    assert not (site[0] / REGION / "2025").exists()
    assert audit_lines(site[1], audit.EDITION_NEW) == [] and audit_lines(site[1], audit.INPUT_SAVE) == []


def test_next_year_is_prepared_once_audited_and_its_checklist_follows_the_work(site: tuple[Path, Path]):
    inputs, outputs = site
    client = _client(site)
    csrf = log_in(client, EDITOR_ACCOUNT)
    listing = client.get("/staff/editions")
    assert "Préparer l'édition 2025" in listing.text
    made = client.post(f"{EDITION}/preparer", data={"csrf": csrf, "annee": "2025"}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == f"{EDITION}/2025?fait=cree"
    assert (inputs / REGION / "2025" / "edition.toml").is_file()
    [line] = audit_lines(outputs, audit.EDITION_NEW)
    assert (line.actor, line.target, line.outcome) == (EDITOR_ACCOUNT, f"{REGION} 2025", audit.OK)
    assert "à partir de 2024" in line.detail

    again = client.post(f"{EDITION}/preparer", data={"csrf": csrf, "annee": "2025"})
    assert again.status_code == 409
    assert "Édition 2025 non créée" in again.text and "existe déjà" in again.text and str(inputs) not in again.text
    refused = audit_lines(outputs, audit.EDITION_NEW)[0]
    assert refused.outcome == audit.REFUSED and "existe déjà" in refused.detail

    page = client.get(f"{EDITION}/2025?fait=cree")
    assert page.status_code == 200 and "Édition créée" in page.text
    texts_todo = _count(page.text, r"(\d+) textes? à réécrire")
    assert texts_todo > 10 and "cellules à remplir" in page.text
    assert 'href="/staff/editions/hauts-de-france/2025/textes/fir.md"' in page.text
    fir = inputs / REGION / "2025" / "texts" / "fir.md"  # the text rewritten: its mark deleted
    fir.write_text("\n".join(fir.read_text(encoding="utf-8").splitlines()[1:]) + "\n", encoding="utf-8")
    assert _count(client.get(f"{EDITION}/2025").text, r"(\d+) textes? à réécrire") == texts_todo - 1


def _count(html: str, pattern: str) -> int:
    found = re.search(pattern, html)
    assert found, pattern
    return int(found.group(1))


def test_the_text_editor_offers_the_figures_and_checks_each_name(site: tuple[Path, Path]):
    client = _client(site)
    csrf = log_in(client, EDITOR_ACCOUNT)
    page = client.get(f"{EDITION}/2024/textes/fir.md")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    markdown = (site[0] / REGION / "2024" / "texts" / "fir.md").read_text(encoding="utf-8")
    assert markdown.splitlines()[0][:40].replace("'", "&#39;") in page.text
    assert '<option value="revenue.total">' in page.text and 'name="base"' in page.text
    checked = client.post(
        f"{EDITION}/2024/verifier",
        data={
            "texte": "Le FIR a reçu [[revenue.total]].\nPuis [[revenue.totl]] et [[thematics.cancer]].",
            "nom": "fir.md",
        },
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert checked["checked"] is True
    [problem] = checked["problems"]
    assert (problem["line"], problem["value"]) == (2, "[[revenue.totl]]") and "revenue.total" in problem["expected"]
    shown = {ref["name"]: ref["shown"] for ref in checked["references"]}
    assert shown["revenue.total"].replace("\u202f", " ").endswith("€") and shown["revenue.totl"] == ""
    missing = client.get(f"{EDITION}/2024/textes/../edition.toml")
    assert missing.status_code == 404
    assert client.get(f"{EDITION}/2024/textes/absent.md").status_code == 404


def test_an_incomplete_edition_offers_last_year_s_figure_names(site: tuple[Path, Path]):
    client = _client(site)
    csrf = log_in(client, EDITOR_ACCOUNT)
    client.post(f"{EDITION}/preparer", data={"csrf": csrf, "annee": "2025"})
    page = client.get(f"{EDITION}/2025/textes/fir.md")
    assert page.status_code == 200
    assert "noms des chiffres de l&#39;édition 2024" in page.text and '<option value="revenue.total">' in page.text


# -- through the store of input versions (flows/edition/publish/input_versions.py) ----------------------------


def _engine(outputs: Path):
    return store.open_catalogue(outputs).engine


def _form(client: TestClient, path: str) -> tuple[str, str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.text
    base = re.search(r'name="base" value="(\d+)"', page.text)
    assert base
    return csrf_of(page.text), base.group(1), page.text


def test_a_save_is_a_new_version_audited(site: tuple[Path, Path]):
    inputs, outputs = site
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    csrf, base, _ = _form(client, f"{EDITION}/2024/textes/fir.md")
    text = "Le fonds a financé [[revenue.total]] d'actions.\n"
    answer = client.post(
        f"{EDITION}/2024/textes/fir.md",
        data={"csrf": csrf, "base": base, "texte": text, "message": "première phrase"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert (inputs / REGION / "2024" / "texts" / "fir.md").read_text(encoding="utf-8") == text
    latest = input_store.versions(_engine(outputs), outputs, REGION, 2024)[-1]
    assert latest.number == int(base) + 1 and latest.author == EDITOR_ACCOUNT
    [line] = audit_lines(outputs, audit.INPUT_SAVE)
    assert (line.outcome, line.target) == (audit.OK, f"{REGION} 2024 texts/fir.md")
    assert f"version {latest.number}" in line.detail
    history = client.get(f"{EDITION}/2024/versions")
    assert f"n° {latest.number}" in history.text and "première phrase" in history.text


def test_two_saves_from_one_base_the_second_refused_with_the_difference_and_nothing_lost(site: tuple[Path, Path]):
    inputs, outputs = site
    first, second = _client(site), _client(site)
    log_in(first, EDITOR_ACCOUNT)
    log_in(second, EDITOR_ACCOUNT)
    path = f"{EDITION}/2024/textes/fir.md"
    csrf1, base1, _ = _form(first, path)
    csrf2, base2, _ = _form(second, path)
    assert base1 == base2
    saved = first.post(path, data={"csrf": csrf1, "base": base1, "texte": "Texte du premier navigateur."})
    assert saved.status_code == 200
    refused = second.post(path, data={"csrf": csrf2, "base": base2, "texte": "Texte du second navigateur."})
    assert refused.status_code == 409
    assert "Texte non enregistré" in refused.text and "Texte du second navigateur." in refused.text  # kept
    assert '<del class="diff">premier</del>' in refused.text and '<ins class="diff">second</ins>' in refused.text
    on_disk = (inputs / REGION / "2024" / "texts" / "fir.md").read_text(encoding="utf-8")
    assert on_disk == "Texte du premier navigateur.\n"
    outcomes = [line.outcome for line in audit_lines(outputs, audit.INPUT_SAVE)]
    assert outcomes == [audit.REFUSED, audit.OK]
    assert len(input_store.versions(_engine(outputs), outputs, REGION, 2024)) == int(base1) + 1


def test_an_edit_made_on_disk_between_two_saves_is_its_own_version_first(site: tuple[Path, Path]):
    inputs, outputs = site
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    path = f"{EDITION}/2024/textes/fir.md"
    csrf, base, _ = _form(client, path)
    client.post(path, data={"csrf": csrf, "base": base, "texte": "Version du portail."})
    csrf, base, _ = _form(client, path)
    chiffres = inputs / REGION / "2024" / "texts" / "chiffres.md"
    chiffres.write_text(chiffres.read_text(encoding="utf-8") + "\nAjout fait sur le disque.\n", encoding="utf-8")
    saved = client.post(path, data={"csrf": csrf, "base": base, "texte": "Deuxième version du portail."})
    assert saved.status_code == 200
    every = input_store.versions(_engine(outputs), outputs, REGION, 2024)
    on_disk, portal = every[-2], every[-1]
    assert portal.author == EDITOR_ACCOUNT and on_disk.author == audit.system_user()
    assert on_disk.number == int(base) + 1 and portal.number == int(base) + 2
    assert (
        b"Ajout fait sur le disque."
        in input_store.contents(_engine(outputs), outputs, REGION, 2024, on_disk.number)[
            f"{REGION}/2024/texts/chiffres.md"
        ]
    )


def test_restoring_a_version_makes_a_new_one_audited(site: tuple[Path, Path]):
    inputs, outputs = site
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    path = f"{EDITION}/2024/textes/fir.md"
    original = (inputs / REGION / "2024" / "texts" / "fir.md").read_text(encoding="utf-8")
    csrf, base, _ = _form(client, path)
    client.post(path, data={"csrf": csrf, "base": base, "texte": "Texte à annuler."})
    answer = client.post(
        f"{EDITION}/2024/versions/retablir", data={"csrf": csrf, "version": base}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert (inputs / REGION / "2024" / "texts" / "fir.md").read_text(encoding="utf-8") == original
    assert input_store.versions(_engine(outputs), outputs, REGION, 2024)[-1].number == int(base) + 2
    [line] = audit_lines(outputs, audit.INPUT_RESTORE)
    assert line.outcome == audit.OK and line.target == f"{REGION} 2024 version {base}"


def test_a_long_history_is_shown_twenty_versions_a_page_newest_first(site: tuple[Path, Path]):
    _, outputs = site
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    path = f"{EDITION}/2024/textes/fir.md"
    for n in range(1, 45):  # with the first version recorded on opening the form: 45 versions, 3 pages
        csrf, base, _ = _form(client, path)
        client.post(path, data={"csrf": csrf, "base": base, "texte": f"Texte n° {n}.", "message": f"essai {n}"})
    assert input_store.versions(_engine(outputs), outputs, REGION, 2024)[-1].number == 45
    first = client.get(f"{EDITION}/2024/versions").text
    listed = [int(n) for n in re.findall(r'<td data-label="Version">n° (\d+)', first)]
    assert listed == list(range(45, 25, -1)) and "page 1 sur 3" in first
    assert "Versions plus anciennes" in first and "Versions plus récentes" not in first
    last = client.get(f"{EDITION}/2024/versions?page=3").text
    listed = [int(n) for n in re.findall(r'<td data-label="Version">n° (\d+)', last)]
    assert listed == [5, 4, 3, 2, 1] and "Versions plus récentes" in last and "Versions plus anciennes" not in last
    assert "actuelle" not in last and 'name="version" value="1"' in last  # each older one can be restored
    assert '<option value="1"' in last and "page 3 sur 3" in client.get(f"{EDITION}/2024/versions?page=9").text


def test_the_pages_where_a_text_lands_are_laid_out_by_the_preview_engine(site: tuple[Path, Path]):
    """The editor's page starts no layout; asking for the pages does (the preview's engine, in its thread),
    and they are the page(s) printing the text, served as images."""
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    page = client.get(f"{EDITION}/2024/textes/actions/p2-msp.md")
    assert "Voir la page dans la brochure" in page.text and client.app.state.previews.find(REGION, 2024) is None  # type: ignore[attr-defined]
    fragment = f"{EDITION}/2024/apercu?texte=actions/p2-msp.md&partiel=1"
    client.get(fragment)  # answered when laid out, or after PAGES_WAIT_S (then « Mise en page en cours »)
    assert client.app.state.previews.find(REGION, 2024).wait(600)  # type: ignore[attr-defined]
    shown = client.get(fragment).text
    assert 'data-pending="0"' in shown
    numbers = [int(n) for n in re.findall(r"<figcaption>Page (\d+)", shown)]
    assert numbers == [18, 19]  # the MSP's action, and the lines it runs over onto the next page
    image = re.search(r'<img src="([^"]+\.png)"', shown)
    assert image
    answer = client.get(image.group(1))
    assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")
    assert client.get(f"{EDITION}/2024/apercu/{'0' * 64}_1-1.png").status_code == 404
    full = client.get(f"{EDITION}/2024/apercu?texte=actions/p2-msp.md")
    assert "Maisons de santé pluri-professionnelles (MSP) sur le terrain dans la brochure</h1>" in full.text
    assert "Page 18" in full.text


def test_after_a_save_the_pages_request_is_answered_once_laid_out_again(
    site: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
):
    """The editor's script asks for the pages once: the answer waits for the layout the save started (not a
    poll every second and a half), and shows the page the save changed."""
    monkeypatch.setattr(texts, "PAGES_WAIT_S", 300.0)  # a loaded machine: the answer still waits for the layout
    inputs, _ = site
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    path = f"{EDITION}/2024/textes/actions/p2-msp.md"
    client.get(f"{EDITION}/2024/apercu?texte=actions/p2-msp.md&partiel=1")  # the first layout starts
    assert client.app.state.previews.find(REGION, 2024).wait(600)  # type: ignore[attr-defined]
    csrf, base, _ = _form(client, path)
    markdown = (inputs / REGION / "2024" / "texts" / "actions" / "p2-msp.md").read_text(encoding="utf-8")
    changed = markdown.replace("MSP", "maisons de santé", 1)
    assert changed != markdown
    saved = client.post(path, data={"csrf": csrf, "base": base, "texte": changed}, follow_redirects=False)
    after = re.search(r"apres=(-?\d+)", saved.headers["location"])
    assert saved.status_code == 303 and after and int(after.group(1)) >= 1
    answer = client.get(f"{EDITION}/2024/apercu?texte=actions/p2-msp.md&partiel=1&apres={after.group(1)}").text
    assert 'data-pending="0"' in answer and "modifiée par le dernier enregistrement" in answer


# -- files sent: the safety checks, the tables' report, the Word import, then a version -----------------------


def _send(client: TestClient, kind: str, name: str, data: bytes, **fields: str):
    csrf, base, _ = _form(client, f"{EDITION}/2024/fichiers")
    return client.post(
        f"{EDITION}/2024/fichiers/{kind}",
        data={"csrf": csrf, "base": base, **fields},
        files={"fichier": (name, data, "application/octet-stream")},
    )


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_refused_file_changes_nothing_and_leaves_its_audit_line(site: tuple[Path, Path]):
    inputs, outputs = site
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    before = _tree(inputs)
    answer = _send(client, "classeur", "figures.xlsm", b"PK\x03\x04 not really a workbook")
    assert answer.status_code == 422
    assert "« figures.xlsm » est refusé" in answer.text and "Rien n&#39;a été enregistré" in answer.text
    assert _tree(inputs) == before
    [line] = audit_lines(outputs, audit.INPUT_UPLOAD)
    assert (line.actor, line.outcome) == (EDITOR_ACCOUNT, audit.REFUSED) and "figures.xlsm" in line.detail


def test_a_table_with_a_located_error_is_refused_then_accepted_as_a_version_and_diffed(site: tuple[Path, Path]):
    inputs, outputs = site
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    csv = (inputs / REGION / "2024" / "thematics.csv").read_text(encoding="utf-8")
    rows = csv.splitlines()
    cancer = next(i for i, row in enumerate(rows) if row.startswith("cancer;"))
    total = next(i for i, row in enumerate(rows) if row.split(";")[1] == "total")
    before = _tree(inputs)
    wrong = _send(
        client, "tableau", "thematiques.csv", csv.replace("153 285 611", "153 285 61O").encode(), table="thematics"
    )
    assert wrong.status_code == 422 and _tree(inputs) == before
    assert "ligne 2" in wrong.text and "153 285 61O" in wrong.text and "Rien n&#39;a été modifié" in wrong.text

    def plus_1000(row: str) -> str:  # the line and the total, so that the total still adds up
        cells = row.split(";")
        cells[4] = f"{int(cells[4].replace(' ', '')) + 1000:,}".replace(",", " ")
        return ";".join(cells)

    rows[cancer], rows[total] = plus_1000(rows[cancer]), plus_1000(rows[total])
    changed = "\n".join(rows) + "\n"
    right = _send(client, "tableau", "thematiques.csv", changed.encode(), table="thematics")
    assert right.status_code == 200, right.text
    assert "nouvelle version des données n°" in right.text
    assert (inputs / REGION / "2024" / "thematics.csv").read_text(encoding="utf-8") == changed
    outcomes = [entry.outcome for entry in audit_lines(outputs, audit.INPUT_UPLOAD)]
    assert outcomes == [audit.OK, audit.REFUSED]
    latest = input_store.versions(_engine(outputs), outputs, REGION, 2024)[-1]
    history = client.get(f"{EDITION}/2024/versions?de={latest.number - 1}&a={latest.number}")
    if importlib_found("input_diff"):
        plain = history.text.replace("\u202f", " ").replace("\u00a0", " ")
        assert "Dépenses par thématique" in plain and rows[cancer].split(";")[2] in plain
        assert rows[cancer].split(";")[4] in plain  # new amount


def importlib_found(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"flows.edition.authoring.{module}") is not None


def test_a_word_document_becomes_a_text_with_what_was_not_imported_listed(site: tuple[Path, Path]):
    import io

    docx = pytest.importorskip("docx")
    inputs, outputs = site
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    document = docx.Document()
    document.add_heading("Appuyer l'essor des Maisons de santé pluri-professionnelles (MSP) sur le terrain", 1)
    paragraph = document.add_paragraph("Les maisons de santé ont ")
    paragraph.add_run("doublé").bold = True
    paragraph.add_run(" en cinq ans.")
    document.add_table(rows=2, cols=2).cell(0, 0).text = "Action"
    buffer = io.BytesIO()
    document.save(buffer)
    answer = _send(client, "word", "msp.docx", buffer.getvalue(), cible="actions/p2-msp.md")
    assert answer.status_code == 200, answer.text
    text = (inputs / REGION / "2024" / "texts" / "actions" / "p2-msp.md").read_text(encoding="utf-8")
    assert "Les maisons de santé ont **doublé** en cinq ans." in text
    assert "Appuyer l'essor" not in text  # the title the brochure prints above the text, not twice
    assert "tableau" in answer.text and "non repris" in answer.text
    [line] = audit_lines(outputs, audit.INPUT_UPLOAD)
    assert line.outcome == audit.OK and "msp.docx" in line.target


def test_a_revision_s_input_version_is_read_from_its_record():
    assert input_store.recorded_version({"input_version": 3}) == 3
    assert input_store.recorded_version({"input_version": {"number": 4, "digest": "…"}}) == 4
    assert input_store.recorded_version({}) is None and input_store.recorded_version({"input_version": True}) is None


def test_the_draft_page_names_the_input_version_and_what_changed_in_the_inputs(portal_editions: Path, tmp_path: Path):
    from tests.portal_helpers import copy_outputs

    outputs = copy_outputs(portal_editions, tmp_path / "outputs")
    entry = store.open_catalogue(outputs).revision(REGION, 2024, 2)
    assert entry is not None
    number = input_store.recorded_version(entry)
    assert number is not None, "a build records the input version it was made from"
    client = TestClient(create_app(outputs))
    log_in(client, EDITOR_ACCOUNT)
    page = client.get(f"/staff/drafts/{REGION}/2024/2").text
    assert f"version n° {number} des données de l'édition" in page
    if importlib_found("input_diff"):  # beside the erratum, the cells changed since the publication (r1)
        plain = page.replace("\u202f", " ").replace("\u00a0", " ")
        assert "Données modifiées depuis la révision 1" in plain
        assert "Investissements en ES et ESMS" in plain and "153 385 611" in plain


def test_the_run_page_names_the_input_version_of_its_draft():
    from flows.portal.pages import environment
    from flows.portal.runs import RunView

    run = RunView("1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed", "COMPLETED", {"region": REGION, "year": 2025})
    draft = {"revision": 1, "href": "/staff/drafts/x", "input_version": 7, "versions": "/staff/editions/x/versions"}
    html = (
        environment()
        .get_template("run.html.j2")
        .render(
            run=run,
            draft=draft,
            launched_by="E Editor",
            region_name="",
            refresh=False,
            prefect_url=None,
            me=None,
            can={},
            csrf="",
            path="/staff/runs/x",
        )
    )
    assert "construit à partir de la version n° 7 des données" in html


def test_once_filled_in_the_checklist_lists_what_fir_check_refuses(site: tuple[Path, Path]):
    inputs, _ = site
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    assert "Tout est rempli : le projet peut être lancé." in client.get(f"{EDITION}/2024").text
    csv = inputs / REGION / "2024" / "thematics.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("538 736 879", "548 736 879"), encoding="utf-8")
    page = client.get(f"{EDITION}/2024").text.replace("\u202f", " ").replace("\u00a0", " ")
    assert "Erreurs à corriger d'abord" in page
    assert "Reste : 2 erreurs" in page and "thematics.csv, ligne 27" in page and "total publié 548 736 879 €" in page


def test_the_logo_is_replaced_and_edition_toml_points_at_it(site: tuple[Path, Path]):
    import io

    from PIL import Image

    inputs, outputs = site
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (0, 70, 127)).save(buffer, format="PNG")
    answer = _send(client, "logo", "logo-ars.png", buffer.getvalue())
    assert answer.status_code == 200, answer.text
    folder = inputs / REGION / "2024"
    assert (folder / "logo.png").read_bytes() == buffer.getvalue()
    assert 'logo = "logo.png"' in (folder / "edition.toml").read_text(encoding="utf-8")
    from flows.edition.ingest.snapshot import read_edition

    logo = read_edition(inputs, REGION, 2024).meta.logo  # the edition reads it as its logo
    assert logo is not None and logo.file.data == buffer.getvalue()
    [line] = audit_lines(outputs, audit.INPUT_UPLOAD)
    assert line.outcome == audit.OK and "logo-ars.png" in line.target
    refused = _send(client, "logo", "logo.png", b"<html>pas une image</html>")
    assert refused.status_code == 422 and (folder / "logo.png").read_bytes() == buffer.getvalue()


def test_in_a_browser_each_figure_name_is_checked_as_typed_and_inserted_from_the_list(site: tuple[Path, Path], browser):
    """The editor's script (Chromium): an unknown `[[…]]` is said while typing, with the close names; a name
    chosen in the list is inserted at the cursor and the text is then clean. The page passes axe-core."""
    from playwright.sync_api import expect

    from tests.browser_checks import axe_violations
    from tests.portal_helpers import PASSWORD, serving

    inputs, outputs = site
    with serving(create_app(outputs, inputs)) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/staff/login")
        page.get_by_label("Identifiant").fill(EDITOR_ACCOUNT)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.goto(f"{base}{EDITION}/2024/textes/thematics/obesite.md")
        area = page.get_by_label("Texte en Markdown")
        area.fill("Le FIR a reçu [[revenue.totl]].")
        found = page.locator("#verification li.error")
        expect(found).to_contain_text("« [[revenue.totl]] » n'est pas le nom d'un chiffre")
        expect(found).to_contain_text("revenue.total")
        area.fill("Le FIR a reçu ")
        area.press("End")
        page.get_by_label("Nom du chiffre").fill("revenue.total")
        page.get_by_label("Nom du chiffre").dispatch_event("change")
        expect(area).to_have_value("Le FIR a reçu [[revenue.total]]")
        expect(page.locator("#verification")).to_contain_text("Chaque [[…]] du texte nomme un chiffre connu.")
        assert axe_violations(page) is None
        page.close()


def test_each_malformed_change_is_refused_in_french_audited_and_changes_nothing(site: tuple[Path, Path]):
    inputs, outputs = site
    client = _client(site)
    csrf = log_in(client, EDITOR_ACCOUNT)
    before = _tree(inputs)
    cases = (
        (f"{EDITION}/preparer", {"annee": "20x5"}, 400, "Région ou année invalide", audit.EDITION_NEW),
        ("/staff/editions/nulle-part/preparer", {"annee": "2025"}, 400, "Région ou année invalide", audit.EDITION_NEW),
        (f"{EDITION}/2024/textes/fir.md", {"texte": "sans base"}, 400, "Formulaire incomplet", audit.INPUT_SAVE),
        (f"{EDITION}/2024/versions/retablir", {"version": "999"}, 400, "Version inconnue", audit.INPUT_RESTORE),
        (f"{EDITION}/2024/fichiers/classeur", {"base": "1"}, 400, "Aucun fichier reçu", audit.INPUT_UPLOAD),
    )
    for path, data, status, said, action in cases:
        answer = client.post(path, data={"csrf": csrf, **data})
        assert (answer.status_code, said in answer.text) == (status, True), (path, answer.status_code)
        line = audit_lines(outputs, action)[0]
        assert (line.actor, line.outcome) == (EDITOR_ACCOUNT, audit.REFUSED), path
    assert client.post(f"{EDITION}/2019/textes/fir.md", data={"csrf": csrf}).status_code == 404
    assert client.post(f"{EDITION}/2024/fichiers/autre", data={"csrf": csrf, "base": "1"}).status_code == 404
    assert _tree(inputs) == before


def _bad_files() -> list[tuple[str, str, str, bytes, dict[str, str]]]:
    """Each bad file of the issue as staff could send it: (id, upload form, file name, bytes, fields)."""
    import io

    from msoffcrypto.format.ooxml import OOXMLFile

    from tests.edition.test_upload_checks import EXTERNAL, declared_size, rezip, with_part, word_document, workbook

    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(word_document())).encrypt("secret", encrypted)
    bomb = declared_size(
        rezip(word_document(), add={"word/media/bomb.xml": b"0" * (4 << 20)}), "word/media/bomb.xml", 1 << 30
    )
    linked = with_part(
        workbook(),
        "xl/externalLinks/externalLink1.xml",
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
        "xl/_rels/workbook.xml.rels",
        f'<Relationship Id="rIdL" Type="{EXTERNAL}/externalLink" Target="externalLinks/externalLink1.xml"/>',
    )
    embedded = with_part(
        word_document(),
        "word/embeddings/oleObject1.bin",
        b"\xd0\xcf\x11\xe0 objet",
        "word/_rels/document.xml.rels",
        f'<Relationship Id="rIdO" Type="{EXTERNAL}/oleObject" Target="embeddings/oleObject1.bin"/>',
    )
    text = {"cible": "fir.md"}
    return [
        ("pas-ce-qu-il-dit", "classeur", "figures.xlsx", b"%PDF-1.7 a PDF named as a workbook", {}),
        ("mot-de-passe", "word", "texte.docx", encrypted.getvalue(), text),
        ("macros-xlsm", "classeur", "figures.xlsm", workbook(), {}),
        ("macros-docm", "word", "texte.docm", word_document(), text),
        ("macros-dedans", "classeur", "figures.xlsx", rezip(workbook(), add={"xl/vbaProject.bin": b"macros"}), {}),
        ("bombe-zip", "word", "texte.docx", bomb, text),
        ("liaison-externe", "classeur", "figures.xlsx", linked, {}),
        ("objet-incorpore", "word", "texte.docx", embedded, text),
        ("trop-gros", "word", "texte.docx", b"PK\x03\x04" + b"0" * (11 << 20), text),
        ("chemin", "word", "../../texte.docx", word_document(), text),
        ("caractere-de-controle", "word", "texte\x07.docx", word_document(), text),
    ]


def _send_raw(client: TestClient, kind: str, name: str, data: bytes, **fields: str):
    """As `_send`, the multipart body written by hand: the file's name goes as typed, control characters
    included (httpx would percent-encode them; a client need not)."""
    csrf, base, _ = _form(client, f"{EDITION}/2024/fichiers")
    boundary = "----fir-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in {"csrf": csrf, "base": base, **fields}.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="fichier"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"{EDITION}/2024/fichiers/{kind}",
        content=b"".join(parts),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )


@pytest.mark.parametrize("case", [c[0] for c in _bad_files()])
def test_each_bad_file_is_refused_in_french_stores_nothing_and_is_audited(site: tuple[Path, Path], case: str):
    """The issue's list of bad files, each sent through the portal's own form: a French refusal, the working
    copy and the store of versions untouched, one audit line saying it was refused."""
    inputs, outputs = site
    [(_, form, name, data, fields)] = [c for c in _bad_files() if c[0] == case]
    client = _client(site)
    log_in(client, EDITOR_ACCOUNT)
    engine = store.open_catalogue(outputs).engine
    assert client.get(f"{EDITION}/2024/fichiers").status_code == 200  # the page records the working copy first
    before, versions = _tree(inputs), len(input_store.versions(engine, outputs, REGION, 2024))
    objects_before = sorted((outputs / REGION / "2024" / ".objects").glob("*"))
    answer = _send_raw(client, form, name, data, **fields)
    assert answer.status_code in (413, 422), answer.text[:500]
    assert "est refusé" in answer.text and "Rien n&#39;a été enregistré" in answer.text
    assert _tree(inputs) == before
    assert len(input_store.versions(engine, outputs, REGION, 2024)) == versions
    assert sorted((outputs / REGION / "2024" / ".objects").glob("*")) == objects_before
    [line] = audit_lines(outputs, audit.INPUT_UPLOAD)
    assert (line.actor, line.outcome) == (EDITOR_ACCOUNT, audit.REFUSED)


@pytest.mark.parametrize(
    ("origin", "shown"),
    [
        ("portail (198.51.100.7)", "portail"),
        ("fichiers du serveur", "fichiers du serveur"),
        ("ligne de commande (srv-fir-01)", "ligne de commande"),
        ("service fir serve (srv-fir-01)", "construction lancée depuis le portail ou le calendrier"),
    ],
)
def test_where_a_version_was_made_is_shown_without_addresses_or_machine_names(origin: str, shown: str):
    from flows.portal.editing import origin_shown

    assert origin_shown(origin) == shown
