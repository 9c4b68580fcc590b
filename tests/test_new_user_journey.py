"""The yearly routine tried as a new user would, from `fir new` to approval of 2025, with the real commands
and the portal in Debian's Chromium (on a phone and on a desktop): every message and every screen met on
the way is in French — none of the tool's English names (contract columns alone, argparse's words, role
and right names, the system account) reaches the staff. Screenshots are left in /tmp/new-user-shots/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from flows import paths
from flows.edition.contract import TABLES
from flows.edition.publish import store
from flows.portal.web import create_app
from tests.helpers import REGION
from tests.journey_helpers import log_in
from tests.portal_helpers import PASSWORD, serving

SHOTS = Path("/tmp/new-user-shots")
PUBLIC_URL = "https://fir.example.org"  # a documentation domain: printed, never contacted
MARK = re.compile(r"^\[À RÉÉCRIRE[^\]]*\]\s*")
FRENCH_WORDS = {"ae", "cp", "budget", "final", "mission", "missions", "actions", "label", "qualifier"}
ENGLISH_NAMES = ({c.name for t in TABLES.values() for c in t.columns} | set(TABLES) | {"_somme_\\w+"}) - FRENCH_WORDS
# What staff must never read: the contract's names alone, argparse's own words, role and right names in
# English, the system account as a person, « 0 chiffre modifié » on a first edition.
ENGLISH = {
    "argparse": re.compile(r"show this help|usage:|positional arguments|the following arguments|invalid choice"),
    # a name of the contract (a column or a table) standing alone: not in parentheses after its French title,
    # not quoted as the word to type, not part of a file name or a path
    "contract name alone": re.compile(
        r"(?<![\w(./_-])(?<!« )(" + "|".join(sorted(ENGLISH_NAMES, key=len, reverse=True)) + r")(?![\w./-])(?! »)"
    ),
    # a column that is also a French word, alone at the head of a to-do line (« final : 3 montant(s) à saisir »)
    "French-looking column alone": re.compile(r"^\s*(final|budget|mission|label|qualifier) :", re.MULTILINE),
    "role or right in English": re.compile(r"\b(approver|editor|manage|review|admin)\b(?!\))"),
    "system account": re.compile(r"(?<![\w/.-])root(?![\w/.-])"),
    "nothing changed": re.compile(r"\b0 chiffres? modifiés?|0 chiffre\(s\)"),
    "column of a text": re.compile(r"colonne « caractère"),
}


def english_in(text: str) -> dict[str, list[str]]:
    """Each kind of English found, with the words around it."""
    found = {
        name: [text[max(0, m.start() - 40) : m.end() + 20] for m in pattern.finditer(text)]
        for name, pattern in ENGLISH.items()
    }
    return {name: hits for name, hits in found.items() if hits}


class Journey:
    """The commands the user types, in the order typed, and everything they print."""

    def __init__(self, inputs: Path, outputs: Path, user: str):
        self.inputs, self.outputs, self.user = inputs, outputs, user
        self.seen: list[tuple[str, str]] = []

    def fir(self, *args: object, stdin: str | None = None, ok: tuple[int, ...] = (0,)) -> str:
        command = [sys.executable, "-m", "flows.cli", *(str(a) for a in args)]
        env = {**os.environ, "LOGNAME": self.user, "FIR_PORTAL_URL": PUBLIC_URL}
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, input=stdin, env=env)
        said = done.stdout + done.stderr
        self.seen.append((" ".join(str(a) for a in args[:2]), said))
        assert done.returncode in ok, f"fir {' '.join(map(str, args))} → {done.returncode}\n{said}"
        return said

    def edition(self) -> tuple[object, ...]:
        return ("--region", REGION, "--year", 2025, "--inputs", self.inputs)


def fill_in_workbook(workbook: Path) -> None:
    """The finance officer's typing: each amount to type is the figure shown beside it « pour mémoire »
    (the same year again, so the tables are flagged unchanged), a « ? » without one is left empty (no
    figure this year); the texts of the tables rewritten (their mark removed)."""
    book = load_workbook(workbook)
    for sheet in book.worksheets[1:]:
        header = [cell.value or "" for cell in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            for at, cell in enumerate(row):
                title = str(header[at])
                if title.startswith(("Pour mémoire", "Contrôle")):
                    continue
                reference = str(header[at + 1]) if at + 1 < len(header) else ""
                if cell.value in (None, "?") and reference.startswith("Pour mémoire"):
                    cell.value = row[at + 1].value
                elif cell.value == "?":
                    cell.value = None
                elif isinstance(cell.value, str):
                    cell.value = MARK.sub("", cell.value)
    book.save(workbook)


def rewrite_texts(edition: Path) -> None:
    """The communication officer's rewriting: each text's mark removed, one count brought up to date."""
    for text in (edition / "texts").rglob("*.md"):
        lines = text.read_text(encoding="utf-8").splitlines(keepends=True)
        text.write_text("".join(line for line in lines if "À RÉÉCRIRE" not in line), encoding="utf-8")
    msp = edition / "texts" / "actions" / "p2-msp.md"
    msp.write_text(msp.read_text(encoding="utf-8").replace("279 MSP", "290 MSP"), encoding="utf-8")


def _screen(page: Page, name: str, screens: list[tuple[str, str]]) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    screens.append((name, page.inner_text("body")))
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], name  # type: ignore[index]


@pytest.fixture
def journey(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Journey:
    monkeypatch.delenv("FIR_DATABASE_URL", raising=False)
    inputs = tmp_path / "données"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    return Journey(inputs, tmp_path / "publication", user="c.martin")


@pytest.mark.parametrize("width", [375])
def test_a_new_user_goes_from_fir_new_to_approval_in_french(journey: Journey, browser: Browser, width: int):
    where = journey.edition()
    outputs = ("--outputs", journey.outputs)
    folder = journey.inputs / REGION / "2025"

    # The routine of the README: help, a new edition, its workbook, the CSV files put aside, the to-do list
    journey.fir("--help")
    journey.fir("new", "--help")
    journey.fir("new", "--region", REGION, ok=(2,))  # a forgotten option: said in French
    journey.fir("new", *where)
    journey.fir("workbook", *where)
    journey.fir("workbook", *where, "--ranger-csv", stdin="o\n")
    todo = journey.fir("check", *where, *outputs, ok=(1,))
    assert "Rien n'a été publié" in todo

    fill_in_workbook(folder / "figures.xlsx")
    rewrite_texts(folder)
    checked = journey.fir("check", *where, *outputs)
    assert "À confirmer (repris de l'édition 2024)" in checked
    assert "nombre saisi à la main — 290" in checked  # the count rewritten is still a number to confirm
    assert "« Fin 2024 »" in checked

    # The administrator creates the approver's account; the editor builds the draft
    journey.fir("user", "list", *outputs)
    journey.fir(
        "user", "add", "m.dupont", "--role", "approbateur", "--display-name", "Marie Dupont", *outputs,
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    journey.fir("user", "list", *outputs)
    built = journey.fir("build", *where, *outputs)
    assert "révision 1" in built and "127.0.0.1" not in built
    journey.fir("drafts", *outputs)

    # The approver, on a phone, then on a desktop: dashboard, draft, a file confirmed, approval
    screens: list[tuple[str, str]] = []
    with serving(create_app(journey.outputs)) as base:
        page = browser.new_page(viewport={"width": width, "height": 800})
        log_in(page, base, "m.dupont", PASSWORD)
        _screen(page, "dashboard", screens)
        page.get_by_role("link", name=re.compile(r"Projet r1")).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("révision 1")
        _screen(page, "draft", screens)
        assert PUBLIC_URL in page.inner_text("body")  # the address the brochure prints
        page.get_by_role("button", name=re.compile(r"J'ai relu et confirmé .*p2-msp\.md")).click()
        expect(page.get_by_text("confirmé par Marie Dupont", exact=False).first).to_be_visible()
        _screen(page, "draft-confirmed", screens)
        page.get_by_label("Commentaire").fill("relu, chiffres vérifiés")
        page.get_by_role("button", name="Approuver et publier").click()
        expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text("non confirmés")
        _screen(page, "approval-refused", screens)
        page.get_by_label(re.compile(r"J'approuve malgré \d+ éléments non confirmés")).check()
        page.get_by_label("Commentaire").fill("relu, chiffres vérifiés")
        page.get_by_role("button", name="Approuver et publier").click()
        expect(page.get_by_role("status")).to_contain_text("Révision approuvée")
        _screen(page, "approved", screens)
        page.goto(f"{base}/")
        expect(page.get_by_role("heading", name=re.compile("FIR 2025"))).to_be_visible()
        _screen(page, "public", screens)

        desktop = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(desktop, base, "m.dupont", PASSWORD)
        _screen(desktop, "dashboard-desktop", screens)
        desktop.goto(f"{base}/staff/drafts/{REGION}/2025/1")
        _screen(desktop, "published-revision-desktop", screens)
        page.close()
        desktop.close()

    approved = store.open_catalogue(journey.outputs).revision(REGION, 2025, 1)
    assert approved is not None and approved["status"] == store.PUBLISHED
    journey.fir("drafts", *outputs)

    # Nothing English met on the way
    found = {f"{at}. fir {command}": english_in(said) for at, (command, said) in enumerate(journey.seen, 1)}
    found |= {f"écran {name}": english_in(text) for name, text in screens}
    assert not {where: hits for where, hits in found.items() if hits}
