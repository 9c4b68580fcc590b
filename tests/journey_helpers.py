"""What the yearly routine's browser test (tests/test_yearly_routine_browser.py) needs around the browser: the
two commands an operator types (`fir serve` in its own session of processes, `fir user add`), each page looked at
on a desktop and on a phone (axe-core with all its rules, no sideways scrolling, and — with
FIR_GUIDE_SCREENSHOTS=1 — the screenshots of the staff guide), the workbook as the finance officer fills it and
LibreOffice saves it, and the Word document a service sends.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from flows import paths
from flows.edition.publish import store
from tests.browser_checks import axe_violations, page_width
from tests.office import Typed, cell_of, fill, save_with_libreoffice, typed_as_before
from tests.test_service import _descendants, _env, _fir_command, _free_port, _kill_all, _wait_for_service

GUIDE_IMAGES = paths.TEMPLATES_DIR / "portal" / "guide"
SHOOT = os.environ.get("FIR_GUIDE_SCREENSHOTS") == "1"
PHONE, DESKTOP = {"width": 375, "height": 800}, {"width": 1280, "height": 900}
SHOT_SCALE = {375: 0.85, 1280: 0.8}  # the guide's images: text still readable beside the guide's, a few tens of kB each
SHOT_MAX_HEIGHT = {375: 1200, 1280: 1000}  # CSS pixels of the part shown: the step, not the whole page
# The steps the staff guide shows (templates/portal/guide.html.j2), each at 375 and 1280 px: the other pages
# looked at are checked the same way, without an image
GUIDE_STEPS = (
    "tableau-de-bord",
    "editions",
    "edition-creee",
    "fichiers",
    "classeur-refuse",
    "classeur-accepte",
    "texte",
    "word-importe",
    "historique",
    "historique-comparer",
    "edition-prete",
    "construction",
    "construction-terminee",
    "projet-correction",
    "projet-correction-donnees",
    "public",
)
PUBLIC_URL = "https://fir.example.org"  # the operator's FIR_PORTAL_URL: a documentation domain, never contacted
AMOUNT_MOVED = 100_000  # the correction of 2025: 100 000 € moved from one thematic to investments


@dataclass
class Service:
    """`fir serve` as the operator starts it, and where the portal answers."""

    process: subprocess.Popen[str]
    base: str
    known: set[int] = field(default_factory=set)


@contextmanager
def fir_serve(inputs: Path, outputs: Path, home: Path) -> Iterator[Service]:
    """`fir serve` (portal, Prefect server, runner) on free loopback ports, stopped with everything it started."""
    command = _fir_command(
        "serve", "--port", _free_port(), "--prefect-port", _free_port(), "--outputs", outputs, "--inputs", inputs
    )
    process = subprocess.Popen(
        command,
        env=_env(home, FIR_PORTAL_URL=PUBLIC_URL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    service = Service(process, "")
    try:
        info = _wait_for_service(home, process, timeout=300)
        service.base = info.portal_url.rstrip("/")
        service.known = {process.pid} | _descendants(process.pid)
        yield service
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=120)
    finally:
        _kill_all(service.known | _descendants(process.pid))
        if process.poll() is None:
            process.kill()
            process.communicate()


def log_in(page: Page, base: str, name: str, password: str, timeout_ms: float = 5_000) -> None:
    """Sign in to the staff area as a person does (name, password, « Se connecter ») and see the dashboard."""
    page.goto(f"{base}/staff/login")
    page.get_by_label("Identifiant").fill(name)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible(timeout=timeout_ms)


def fir_user(outputs: Path, name: str, role: str, display: str, password: str) -> str:
    """`fir user add` as the administrator types it (the password given on its standard input)."""
    command = _fir_command(
        "user", "add", name, "--role", role, "--display-name", display, "--outputs", outputs, "--password-stdin"
    )
    done = subprocess.run(command, input=password + "\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


class Looker:
    """Each step's page, as shown on a desktop then on a phone: what axe-core (all rules) finds and any
    sideways scrolling, kept by step; and the guide's screenshots when asked for (FIR_GUIDE_SCREENSHOTS=1)."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self.looked: list[str] = []
        self.shots: list[Path] = []

    def look(
        self, page: Page, name: str, part: str | None = None, skip: tuple[str, ...] = (), tall: bool = False
    ) -> None:
        """Check the page at 1280 and 375 px (`skip`: axe rules left out, said why by the caller); `part`: the
        selector of what the guide's image shows (the page's main content when None), `tall`: twice as high
        (a phone shows the text editor's page below the form)."""
        before = page.viewport_size or DESKTOP
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            width = size["width"]
            page.evaluate("window.scrollTo(0, 0)")
            if (laid_out := page_width(page)) > width:
                self.found[f"{name}-{width} (largeur)"] = f"{laid_out} px de large pour une fenêtre de {width} px"
            if report := axe_violations(page, skip):
                self.found[f"{name}-{width}"] = report
            if SHOOT and name in GUIDE_STEPS:
                path = GUIDE_IMAGES / f"{name}-{width}.png"
                self.shots.append(_shoot(page.locator(part or "main").first, path, 2 if tall else 1))
        self.looked.append(name)
        page.set_viewport_size(before)

    def shoot(self, page: Page, name: str, part: str) -> None:
        """Only the guide's images of one more part of a page already looked at (when asked for)."""
        if not SHOOT or name not in GUIDE_STEPS:
            return
        before = page.viewport_size or DESKTOP
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            self.shots.append(_shoot(page.locator(part).first, GUIDE_IMAGES / f"{name}-{size['width']}.png"))
        page.set_viewport_size(before)


def _shoot(part: Locator, path: Path, taller: int = 1) -> Path:
    """A screenshot of `part`, cut to the step's height, scaled down and saved as a palette PNG (a few tens of
    kB: the guide's images are committed)."""
    page = part.page
    width = (page.viewport_size or DESKTOP)["width"]
    page.evaluate("document.activeElement?.blur()")  # no focus ring (a heading the page's anchor focused)
    part.scroll_into_view_if_needed()
    box = part.bounding_box()
    assert box is not None, f"{path.name}: nothing to show"
    scroll = page.evaluate("[window.scrollX, window.scrollY]")
    clip = {
        "x": box["x"] + scroll[0],
        "y": box["y"] + scroll[1],
        "width": min(box["width"], width),
        "height": min(box["height"], SHOT_MAX_HEIGHT[width] * taller),
    }
    raw = page.screenshot(clip=clip, full_page=True, animations="disabled", caret="hide")
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    scale = SHOT_SCALE[width]
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    return path


@dataclass(frozen=True)
class Workbooks:
    """The workbook downloaded from the portal, as the finance officer saves it three times: with one wrong
    cell, right, and with next month's correction (100 000 € moved between two thematics)."""

    wrong: bytes
    right: bytes
    corrected: bytes
    wrong_cell: str  # the coordinate of the mistake (« K4 »)


WRONG_VALUE = "522,2 M€"  # typed as the brochure prints it, not as an amount in euros


def fill_workbook(blank: bytes) -> Workbooks:
    """Every amount typed as last year's figure beside it, every text unmarked (tests/office.py), saved by
    LibreOffice so that the formulas hold their values; one amount typed as the brochure prints it."""
    typed = typed_as_before(blank)
    wrong_cell = cell_of(blank, "revenue", 4, "final")
    moved = _moved_cells(blank, typed)
    saved = save_with_libreoffice(
        {
            "wrong.xlsx": fill(blank, {**typed, ("revenue", wrong_cell): WRONG_VALUE}),
            "right.xlsx": fill(blank, typed),
            "corrected.xlsx": fill(blank, {**typed, **moved}),
        }
    )
    return Workbooks(saved["wrong.xlsx"], saved["right.xlsx"], saved["corrected.xlsx"], wrong_cell)


def _moved_cells(blank: bytes, typed: dict[tuple[str, str], object]) -> dict[tuple[str, str], object]:
    """The thematics' two amounts of the correction: 115 072 012 → 114 972 012, 153 285 611 → 153 385 611."""
    moves = {115_072_012: -AMOUNT_MOVED, 153_285_611: AMOUNT_MOVED}
    found: dict[tuple[str, str], object] = {}
    for (sheet, cell), value in typed.items():
        amount = value.value if isinstance(value, Typed) else value
        if sheet == "thematics" and amount in moves:
            number_format = value.number_format if isinstance(value, Typed) else None
            found[(sheet, cell)] = Typed(int(amount) + moves[int(amount)], number_format)  # type: ignore[call-overload]
    if len(found) != 2:  # typed already (the amounts of 2024 kept in the blank workbook): read them there
        sheet = load_workbook(io.BytesIO(blank))["thematics"]
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in moves and ("thematics", cell.coordinate) not in found:
                    found[("thematics", cell.coordinate)] = int(cell.value) + moves[int(cell.value)]
    assert len(found) == 2, f"the two amounts of the correction: {found}"
    return found


WORD_TEXT = (
    "Le plan régional de lutte contre les cancers a soutenu en 2025 le dépistage organisé au plus près des habitants.",
    "Trois priorités ont guidé les financements :",
)
WORD_ITEMS = ("les consultations avancées dans les maisons de santé ;", "le transport vers les centres de dépistage ;")


def word_document() -> bytes:
    """The service's Word document for one text: a heading, a paragraph with bold and italics, a bulleted list,
    and a table (which the import does not take, and says so)."""
    document = Document()
    document.add_heading("Cancer : l'année 2025", level=1)
    paragraph = document.add_paragraph(WORD_TEXT[0] + " ")
    paragraph.add_run("Le dépistage").bold = True
    paragraph.add_run(" reste la ")
    paragraph.add_run("première").italic = True
    paragraph.add_run(" des priorités.")
    document.add_paragraph(WORD_TEXT[1])
    for item in WORD_ITEMS:
        document.add_paragraph(item, style="List Bullet")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Département", "Dépistages"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


MARK_LINE = re.compile(r"^<!-- À RÉÉCRIRE[^\n]*-->\n?", re.MULTILINE)


def unmarked(markdown: str) -> str:
    """The text with its « À RÉÉCRIRE » line deleted, as the editor's hint says."""
    return MARK_LINE.sub("", markdown, count=1)


REBUILT_ROLES = ("pdf", "archive", "draft", "print", "web", "data")


def rebuild_differences(outputs: Path, region: str, year: int, into: Path) -> dict[str, str]:
    """`fir rebuild` of every revision of the edition from the store alone (its inputs folder deleted before):
    each file whose SHA-256 differs from the one the catalogue recorded, or the command's refusal."""
    history = store.open_catalogue(outputs).history(region, year, statuses=None)
    assert history is not None
    found: dict[str, str] = {}
    for entry in history["revisions"]:
        number = entry["revision"]
        command = _fir_command("rebuild", region, year, number, "--into", into / f"r{number}", "--outputs", outputs)
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or "octet pour octet" not in done.stdout:
            found[f"r{number}"] = done.stdout + done.stderr
            continue
        for role in REBUILT_ROLES:
            recorded = entry[role]  # type: ignore[literal-required]
            rebuilt = into / f"r{number}" / "/".join(recorded["file"].split("/")[2:])
            if hashlib.sha256(rebuilt.read_bytes()).hexdigest() != recorded["sha256"]:
                found[f"r{number} {role}"] = recorded["file"]
    return found
