"""The print shop's file of both real editions: PDF/X-4 structure (read with pikepdf), bleed, marks, page
count for saddle stitching, the same pages as the published brochure, the cover's colour into the bleed;
recorded with the draft, published by approval, never on the public page."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from flows import paths
from flows.portal.web import create_app
from tests.conftest import REGION
from tests.helpers import fir_build, move_100_000_to_investments

MM = 72 / 25.4
A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> tuple[Path, str]:
    """2018 published once; 2024 published, then corrected (its revision 2 has an erratum, on its last page of
    content). The outputs, and what the correction's build printed."""
    base = tmp_path_factory.mktemp("print")
    inputs, outputs = base / "inputs", base / "outputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    fir_build(2018, outputs, inputs)
    fir_build(2024, outputs, inputs)
    move_100_000_to_investments(inputs)
    correction = fir_build(2024, outputs, inputs, reason="correction de deux thématiques")
    return outputs, correction.stdout


@pytest.fixture(scope="module")
def outputs(builds) -> Path:
    return builds[0]


def test_a_correction_lays_out_nothing_for_the_print_file(builds):
    """The print file is the brochure's pages bound for the press: the correction's build names no print group."""
    cached = next(line for line in builds[1].splitlines() if line.startswith("Reprises du cache"))
    assert len(_firsts(cached, "de la brochure")) >= 6 and "imprimeur" not in cached, cached


def _firsts(cached: str, whose: str) -> set[str]:
    """The first pages of the page groups the build said it reused, « N groupes de pages de la brochure
    (commençant p. 1, 2, 3) »."""
    found = re.search(rf"groupes? de pages {whose} \(commençant p\. ([\d, ]+)\)", cached)
    return set(found.group(1).split(", ")) if found else set()


def _print_file(outputs: Path, year: int, revision: int | None = None) -> Path:
    folder = outputs / REGION / str(year)
    if revision is not None:
        folder = folder / "revisions" / f"r{revision}"
    return folder / f"fir-{REGION}-{year}-impression.pdf"


def _brochure(outputs: Path, year: int, revision: int) -> Path:
    return outputs / REGION / str(year) / "revisions" / f"r{revision}" / f"fir-{REGION}-{year}.pdf"


EDITIONS = [(2018, 1), (2024, 1), (2024, 2)]


def test_a_build_without_worker_processes_makes_the_same_files(outputs, tmp_path):
    """The charts, the web edition, the data package and the print file are made in a worker process (and the
    brochure's pages in the build's own, those before the first chart while the charts are drawn): with none
    (`FIR_WORKERS=0`, nothing laid out early), the brochure, its archival copy and the print file of 2018 are the
    same, byte for byte."""
    alone = tmp_path / "outputs"
    fir_build(2018, alone, paths.INPUTS_DIR, env={**os.environ, "FIR_WORKERS": "0"})
    folder = Path("hauts-de-france") / "2018" / "revisions" / "r1"
    names = sorted(p.name for p in (outputs / folder).glob("*.pdf"))
    assert len(names) == 3 and any(name.endswith("-impression.pdf") for name in names), names
    for name in names:
        assert (alone / folder / name).read_bytes() == (outputs / folder / name).read_bytes(), name


def test_a_correction_whose_workers_lay_out_its_planned_groups_makes_the_same_files_as_one_without(outputs, tmp_path):
    """The 2024 correction above was built by `fir build` as every correction is: its workers loaded what a
    layout needs, its groups were given out at the pages of the latest revision, each laid out by a worker or
    found in the cache, and the web edition and data package made by the build's own process meanwhile. Built
    again with no worker (`FIR_WORKERS=0`, each group laid out in turn), its brochure, archival copy and print
    file are the same, byte for byte."""
    inputs, alone = tmp_path / "inputs", tmp_path / "outputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    env = {**os.environ, "FIR_WORKERS": "0"}
    fir_build(2024, alone, inputs, env=env)
    move_100_000_to_investments(inputs)
    fir_build(2024, alone, inputs, reason="correction de deux thématiques", env=env)
    folder = Path("hauts-de-france") / "2024" / "revisions" / "r2"
    names = sorted(p.name for p in (outputs / folder).glob("*.pdf"))
    assert len(names) == 3, names
    for name in names:
        assert (alone / folder / name).read_bytes() == (outputs / folder / name).read_bytes(), name


@pytest.mark.parametrize(("year", "revision"), EDITIONS)
def test_print_file_is_pdf_x4_with_a_cmyk_output_intent(outputs, year, revision):
    with pikepdf.open(_print_file(outputs, year, revision)) as pdf:
        assert pdf.pdf_version >= "1.6"
        xmp = pdf.open_metadata()
        assert xmp["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
        assert str(pdf.trailer.Info.Trapped) == "/False"
        assert str(pdf.trailer.Info.CreationDate) == f"D:{year + 1}0101000000Z"
        [intent] = pdf.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFX and str(intent.OutputConditionIdentifier) == "FOGRA39"
        profile = intent.DestOutputProfile
        assert int(profile.N) == 4
        icc = profile.read_bytes()
        assert icc[12:16] == b"prtr" and icc[16:20] == b"CMYK" and icc[36:40] == b"acsp"  # an ICC output profile
        assert icc == paths.PRINT_PROFILE.read_bytes()


@pytest.mark.parametrize(("year", "revision"), EDITIONS)
def test_every_page_is_a4_trimmed_with_3_mm_of_bleed_inside_the_media_box(outputs, year, revision):
    with pikepdf.open(_print_file(outputs, year, revision)) as pdf:
        for page in pdf.pages:
            trim, bleed, media = ([float(v) for v in page.obj[box]] for box in ("/TrimBox", "/BleedBox", "/MediaBox"))
            assert (trim[2] - trim[0], trim[3] - trim[1]) == pytest.approx(A4, abs=0.01)
            assert [b - t for b, t in zip(bleed, trim, strict=True)] == pytest.approx(
                [-3 * MM, -3 * MM, 3 * MM, 3 * MM]
            )
            assert media[0] <= bleed[0] and media[1] <= bleed[1] and media[2] >= bleed[2] and media[3] >= bleed[3]


@pytest.mark.parametrize(
    ("year", "revision", "published", "printed"), [(2018, 1, 32, 32), (2024, 1, 42, 44), (2024, 2, 42, 44)]
)
def test_page_count_is_a_multiple_of_4_with_blank_pages_before_the_back_cover(
    outputs, year, revision, published, printed
):
    brochure = _pages_text(_brochure(outputs, year, revision))
    for_print = _pages_text(_print_file(outputs, year, revision))
    assert (len(brochure), len(for_print)) == (published, printed)
    # every page but the back cover is the brochure's page, at the same number; the back cover stays last
    assert for_print[: published - 1] == brochure[:-1]
    assert for_print[-1] == brochure[-1] and "Agence régionale de santé Hauts-de-France" in for_print[-1]
    assert [text.strip() for text in for_print[published - 1 : -1]] == [""] * (printed - published)
    if revision == 2:  # the erratum shares the last page of content (the same page count), numbered as published
        assert "Erratum — révision 2" in for_print[published - 2]
        assert f"FIR 2024 | {published - 1}" in for_print[published - 2]


@pytest.mark.parametrize(("year", "revision"), EDITIONS)
def test_fonts_are_embedded_and_no_colour_is_device_rgb(outputs, year, revision):
    with pikepdf.open(_print_file(outputs, year, revision)) as pdf:
        descriptors = [
            o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/FontDescriptor"
        ]
        assert descriptors
        assert all({"/FontFile", "/FontFile2", "/FontFile3"} & set(d.keys()) for d in descriptors)
        saved = io.BytesIO()
        pdf.save(saved, qdf=True, object_stream_mode=pikepdf.ObjectStreamMode.disable)
        assert b"/DeviceRGB" not in saved.getvalue()
        assert not pdf.Root.get("/AcroForm") and not any("/Annots" in p.obj for p in pdf.pages)


@pytest.mark.parametrize(("year", "page"), [(2018, 1), (2024, 1), (2024, 44)])
def test_cover_and_back_cover_backgrounds_reach_the_bleed_and_the_marks_sit_beyond(outputs, tmp_path, year, page):
    """Rendered on the MediaBox at 72 dpi (1 px = 1 pt): the bleed band is the cover's blue, the slug is paper."""
    pdf = _print_file(outputs, year, 1)
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-f", str(page), "-l", str(page), pdf, tmp_path / "p"], check=True)
    [png] = tmp_path.glob("p-*.png")
    image = Image.open(png).convert("RGB")
    with pikepdf.open(pdf) as document:
        media = [float(v) for v in document.pages[page - 1].obj.MediaBox]
        trim = [float(v) for v in document.pages[page - 1].obj.TrimBox]
    left = trim[0] - media[0]  # points from the sheet's edge to the trim line
    height = image.height

    def colour(x_mm_from_trim: float, y: int) -> tuple[int, int, int]:
        return image.getpixel((round(left + x_mm_from_trim * MM), y))

    inside, bleed, slug = colour(10, height // 3), colour(-1.5, height // 3), colour(-8, height // 3)
    right_bleed = image.getpixel((round(image.width - left + 1.5 * MM), height // 3))
    assert _blue(inside) and _blue(bleed) and _blue(right_bleed), (inside, bleed, right_bleed)
    assert min(slug) > 245, slug  # paper: the background stops at the bleed's edge
    assert max(bleed) - min(bleed) > 40 and abs(bleed[2] - inside[2]) < 8  # the same blue, not white nor grey


def _blue(rgb: tuple[int, int, int]) -> bool:
    red, _green, blue = rgb
    return blue > red + 40 and blue < 200


def test_print_file_is_kept_with_the_draft_and_published_by_approval_but_not_offered_to_the_public(outputs):
    edition = outputs / REGION / "2024"
    assert _print_file(outputs, 2024).read_bytes() == _print_file(outputs, 2024, 2).read_bytes()
    assert not _print_file(outputs, 2024).samefile(_print_file(outputs, 2024, 2))  # copies: damage stays in one
    assert _print_file(outputs, 2024, 1).is_file()
    assert "impression" not in (edition / "manifest.json").read_text(encoding="utf-8")
    client = TestClient(create_app(outputs))
    assert "impression" not in client.get("/").text
    assert client.get(f"/download/{REGION}/2024/2/print").status_code == 404
    assert client.get(f"/{REGION}/2024/fir-{REGION}-2024-impression.pdf").status_code == 404


def test_a_missing_profile_stops_the_build_with_exit_code_3_and_a_french_message(tmp_path):
    env = {**os.environ, "FIR_PRINT_PROFILE": str(tmp_path / "absent.icc"), "LOGNAME": "redaction-tests"}
    command = [
        sys.executable,
        "-m",
        "flows.cli",
        "build",
        "--region",
        REGION,
        "--year",
        "2018",
        "--outputs",
        tmp_path / "out",
    ]
    run = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 3, run.stdout + run.stderr
    assert f"le profil ICC du fichier pour l'imprimeur est introuvable ({tmp_path / 'absent.icc'})" in run.stderr
    assert "Traceback" not in run.stderr


def _pages_text(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def test_staff_download_the_print_file_of_a_publication_not_of_a_draft(outputs, tmp_path):
    """Unmarked, the print file is offered to staff once published; before, only the marked copy is."""
    from tests.portal_helpers import EDITOR_ACCOUNT, add_accounts, log_in

    staff = shutil.copytree(outputs, tmp_path / "outputs", symlinks=True)
    add_accounts(staff)
    client = TestClient(create_app(staff))
    log_in(client, EDITOR_ACCOUNT)
    page = client.get(f"/staff/drafts/{REGION}/2024/2").text
    assert f'href="/staff/drafts/{REGION}/2024/2/impression/pdf"' in page and "Fichier pour l'imprimeur" in page
    answer = client.get(f"/staff/drafts/{REGION}/2024/2/impression/pdf")
    assert answer.status_code == 200 and answer.content == _print_file(outputs, 2024, 2).read_bytes()
    assert answer.headers["content-disposition"].endswith('"FIR-2024-Hauts-de-France-r2-impression.pdf"')
    assert client.get(f"/staff/drafts/{REGION}/2024/9/impression/pdf").status_code == 404
