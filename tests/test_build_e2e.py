"""End to end, as a user runs it: `fir build` through the Prefect flow, then the PDF's text read back.

Every figure of the "en chiffres" parts must come out exactly as the published brochures print it.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
from pathlib import Path

import pytest

from flows import paths
from flows.edition.french import format_amount, format_number
from flows.edition.ingest import snapshot as ingest
from tests.conftest import REGION
from tests.helpers import SEEDS, fir_build

FIGURES_2018 = [
    # revenue table: 2017, BR1, BR2, BR3, 2018 and the legal reference of each notification
    "295 115 924 €",
    "299 310 111 €",
    "2 658 808 €",
    "990 736 €",
    "4 952 750 €",
    "1 093 915 €",
    "2 640 727 €",
    "300 068 674 €",
    "303 062 834 €",
    "304 053 570 €",
    "305 600 382 €",
    "Circulaire du 11 mai 2018",
    "Arrêté du 22 juin 2018",
    "Arrêté du 31 octobre 2018",
    # AE and CP by mission
    "45 022 026 €",
    "75 670 273 €",
    "83 576 684 €",
    "99 045 234 €",
    "229 191 €",
    "43 721 399 €",
    "79 854 978 €",
    "83 813 575 €",
    "98 995 487 €",
    "235 264 €",
    # consumption and growth
    "303 543 407 €",
    "306 620 703 €",
    "99,1 %",
    "99,5 %",
    "+1,84 %",
    # highlighted actions and call-outs
    "2,9 M€",
    "750 000 €",
    "9,5 M€",
    "68,3 M€",
    "10,5 M€",
    "75 M€",
    "1 041 638 €",
    "208 942 €",
    "3 010",
    "PHARMACIENS",
    "119 474",
    "VACCINS",
    "113",
    "MSP",
]
FIGURES_2024 = [
    "522,2 M€",
    "517,1 M€",
    "5,1 M€",
    "6,7 M€",
    "plus de 2 M€",
    "1,8 M€",
    "536,9 M€",
    "538,7 M€",
    "99,9 %",
    "99,8 %",
    "3 M€",
    "535,7 M€",
    "538 736 879 €",
    "100,0 %",
    "0,04 %",
    "20,5 M€",
    "645 k€",
    "2,35 M€",
    "80 M€",
    "16 M€",
    "358 k€",
    "138 k€",
    "4,5 M€",
    "279 MSP",
]


def _plain(text: str) -> str:
    text = re.sub(r"(\w)-\n(\w)", r"\1-\2", text)  # a compound word split at a line end
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


def _pdf_text(pdf: Path) -> str:
    return _plain(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)


def _fir_build(year: int, outputs: Path, inputs: Path | None = None) -> subprocess.CompletedProcess:
    return fir_build(year, outputs, inputs)


@pytest.fixture(scope="module")
def built(real_builds) -> dict[int, tuple[Path, str]]:
    """Both editions, built once per session with the real command (conftest.real_builds)."""
    result = {}
    for year, (pdf, stdout) in real_builds.items():
        assert "[mise en page]" not in stdout, stdout  # WeasyPrint warned about something
        result[year] = (pdf, _pdf_text(pdf))
    return result


def test_pdf_is_written_where_users_expect_it(built):
    pdf, _ = built[2024]
    assert pdf.name == "fir-hauts-de-france-2024.pdf" and pdf.parent.name == "2024"
    assert pdf.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(("year", "figures"), [(2018, FIGURES_2018), (2024, FIGURES_2024)])
def test_every_published_figure_is_printed_as_published(built, year, figures):
    _, text = built[year]
    missing = [f for f in figures if f not in text and f.upper() not in text]
    assert not missing, missing


def test_the_2024_thematic_table_matches_the_seed_line_by_line(built):
    _, text = built[2024]
    seed_path = SEEDS / "001_9a348408cb204dc1.txt"
    if not seed_path.exists():
        pytest.skip(f"the published brochure's text is not beside the project ({seed_path})")
    seed = seed_path.read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([^|<]+?)\s+\| ([\d ]+ €)\s+\| ([\d,]+)%", seed, re.M)
    assert len(rows) == 25
    for label, amount, share in rows:
        assert f"{amount} {share} %" in text, (label, amount, share)


@pytest.mark.parametrize("year", [2018, 2024])
def test_every_action_amount_and_key_figure_of_the_inputs_is_printed(built, year):
    _, text = built[year]
    edition = ingest.read_edition(paths.INPUTS_DIR, REGION, year)
    amounts = [
        _plain(format_amount(r["amount"], r["unit"], r["amount_dp"]))
        for r in edition.tables["action_amounts"].iter_rows(named=True)
    ]
    # a call-out floats beside the text, so its value and label are looked for separately
    figures = [
        _plain(format_number(r["value"], r["value_dp"]) + (f" {r['unit']}" if r["unit"] else ""))
        for r in edition.tables["key_figures"].iter_rows(named=True)
    ]
    figures += [r["label"].upper() for r in edition.tables["key_figures"].iter_rows(named=True)]
    titles = [_plain(t).upper() for t in edition.tables["actions"]["title"]]
    unhyphenated = text.upper().replace("-", "")  # pdftotext drops the hyphen of a word split at a line end
    missing = [x for x in amounts + figures if x not in text and x not in text.upper()]
    missing += [t for t in titles if t.replace("-", "") not in unhyphenated]
    assert not missing, missing


def test_2024_compares_with_the_2018_edition(built):
    text = built[2024][1]
    assert "LE FIR DE 2018 À 2024" in text.upper()
    assert "2018 → 2024 305,6 M€ 522,2 M€ +216,6 M€ +70,9 %" in text  # one unit per column (issue 23)
    assert "2018 305,6 M€ 303,5 M€ 306,6 M€" in text
    assert "LE FIR DE" not in built[2018][1].upper()


def test_thematic_headings_carry_amount_and_share(built):
    _, text = built[2024]
    assert "INVESTISSEMENTS EN ES ET ESMS : 153,3 M€, SOIT 28,5 % DU FIR" in text
    assert "DÉMOCRATIE SANITAIRE : 208 k€, SOIT 0,04 % DU FIR" in text  # the unit kept out of the capitals


@pytest.mark.parametrize("year", [2018, 2024])
def test_published_pdf_is_pdf_ua_1(built, year):
    import page

    pdf, _ = built[year]
    report = page.validate_pdf(str(pdf), profile="ua1")
    assert report.is_compliant, [(f.rule_id, f.message) for f in report.failures]


@pytest.mark.parametrize("year", [2018, 2024])
def test_archival_copy_is_pdf_a_3a_and_carries_the_input_tables(built, year):
    import page
    import pikepdf

    pdf, _ = built[year]
    archive = paths.archive_path(pdf.parent.parent.parent, REGION, year)
    report = page.validate_pdf(str(archive), profile="3a")
    assert report.is_compliant, [(f.rule_id, f.message) for f in report.failures]
    folder = paths.INPUTS_DIR / REGION / str(year)
    with pikepdf.open(archive) as document:
        attached = {name: spec.get_file().read_bytes() for name, spec in document.attachments.items()}
    assert attached == {path.name: path.read_bytes() for path in folder.glob("*.csv")}


def test_pdf_metadata_says_french_title_and_author(built):
    from pypdf import PdfReader

    reader = PdfReader(built[2024][0])
    assert reader.metadata.title == "Le Fonds d'intervention régional 2024"
    assert reader.metadata.author == "Agence régionale de santé Hauts-de-France"
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Sommaire" in outline and any("EN CHIFFRES" in t.upper() for t in outline)


def test_running_footer_and_structure(built):
    _, text = built[2018]
    assert "ARS Hauts-de-France - FIR 2018 | 7" in text  # as the seeds print it (page 6 is an opener)
    for heading in ("Sommaire", "EN ACTIONS", "EN CHIFFRES", "Orientation 7"):
        assert heading.upper() in text.upper()


@pytest.mark.parametrize("year", [2018, 2024])
def test_every_numbered_page_shows_its_number_in_the_outer_corner(built, year):
    """Each group of pages is laid out on its own: its numbering and its left/right sides must still
    be those of the whole brochure (odd pages on the right, number bottom right; even on the left)."""
    pdf, _ = built[year]
    words = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    footers = []
    for number, page in enumerate(words.split("<page ")[1:], start=1):
        found = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', page)
        for (x, word), (_, following) in itertools.pairwise(found):
            if word == "|":
                footers.append((number, int(following), "right" if float(x) > 297 else "left"))
    assert len(footers) > 20
    for page, printed, side in footers:
        assert printed == page and side == ("right" if page % 2 else "left"), (page, printed, side)


def test_a_corrected_thematic_amount_changes_everywhere(inputs_copy, tmp_path):
    """Correct one thematic (and the totals it feeds) on a copy: table, chart, heading and prose follow."""
    folder = inputs_copy / REGION / "2024"
    for name, old, new in (
        ("thematics.csv", "153 285 611;28,5", "163 285 611;28,5"),
        ("thematics.csv", "538 736 879", "548 736 879"),
        ("execution.csv", "538,7", "548,7"),
        ("cp_by_nature.csv", "535,7", "545,7"),
    ):
        path = folder / name
        assert old in path.read_text(encoding="utf-8")
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    outputs = tmp_path / "outputs"
    _fir_build(2024, outputs, inputs_copy)
    text = _pdf_text(paths.brochure_path(outputs, REGION, 2024))
    assert "153 285 611" not in text and "153,3 M€" not in text
    assert text.count("163 285 611 €") == 2  # the table row and the thematic's text
    assert "163,3 M€ · 29,8 %" in text  # the chart's label (stale published share 28,5 % replaced)
    assert "INVESTISSEMENTS EN ES ET ESMS : 163,3 M€, SOIT 29,8 % DU FIR" in text.upper()
    assert "Avec 163 285 611 €, soit 29,8 % des crédits de paiement" in text


def _sommaire(pdf: Path) -> list[tuple[str, int | None, int, str]]:
    """(anchor, page number printed in the sommaire, page the link really leads to, entry text)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    page = reader.pages[1]
    fragments = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():  # text position in page space: text matrix × current matrix
            fragments.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text))

    page.extract_text(visitor_text=visit)
    lines: dict[str, list] = {}
    for annotation in page["/Annots"]:
        link = annotation.get_object()
        x0, x1 = sorted(float(v) for v in (link["/Rect"][0], link["/Rect"][2]))
        y0, y1 = sorted(float(v) for v in (link["/Rect"][1], link["/Rect"][3]))
        inside = [(-round(y), x, t) for x, y, t in fragments if x0 - 1 <= x <= x1 + 1 and y0 - 1 <= y <= y1 + 1]
        lines.setdefault(str(link["/Dest"]), []).extend(inside)
    entries = []
    for anchor, parts in lines.items():
        text = "".join(t for _, _, t in sorted(parts))
        printed = re.search(r"(\d+)\s*$", text)
        target = reader.get_destination_page_number(reader.named_destinations[anchor]) + 1
        entries.append((anchor, int(printed.group(1)) if printed else None, target, text))
    return entries


@pytest.mark.parametrize("year", [2018, 2024])
def test_sommaire_page_numbers_are_the_pages_of_the_headings(built, year):
    pdf, _ = built[year]
    entries = _sommaire(pdf)
    edition = ingest.read_edition(paths.INPUTS_DIR, REGION, year)
    sections = edition.tables["actions"].filter(edition.tables["actions"]["parent_id"].is_null())
    chiffres_sections = 2 if year == 2018 else 4  # recettes, dépenses (+ thématiques, évolution in 2024)
    assert len(entries) == 2 + edition.tables["parts"].height + sections.height + chiffres_sections
    for anchor, printed, target, text in entries:
        assert printed == target, (anchor, text)
        heading = _plain(
            subprocess.run(
                ["pdftotext", "-f", str(target), "-l", str(target), str(pdf), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        words = re.sub(r"\.{2,}.*$", "", text).split("–")[-1].strip()[:25]
        assert words.upper().replace("-", "") in heading.upper().replace("-", ""), (anchor, words, target)


def test_outline_has_every_part_and_section(built):
    from pypdf import PdfReader

    def titles(items):
        for item in items:
            yield from titles(item) if isinstance(item, list) else [item.title]

    outline = [_plain(t).upper() for t in titles(PdfReader(built[2024][0]).outline)]
    edition = ingest.read_edition(paths.INPUTS_DIR, REGION, 2024)
    sections = edition.tables["actions"].filter(edition.tables["actions"]["parent_id"].is_null())
    for title in [*edition.tables["parts"]["title"], *sections["title"]]:
        assert _plain(title).upper() in outline, title
    assert "LES RECETTES 2024" in outline and "LE FIR DE 2018 À 2024" in outline


def test_every_chart_carries_alternative_text_from_its_data(built):
    import pikepdf

    pdf, _ = built[2024]
    alts = []
    with pikepdf.open(pdf) as document:
        stack = [document.Root.StructTreeRoot]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Dictionary):
                if node.get("/S") == "/Figure" and "/Alt" in node:
                    alts.append(_plain(str(node.Alt)))
                kids = node.get("/K")
                if kids is not None:
                    stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids])
    assert len(alts) == 3  # thematics, thematic subset, history
    thematics = next(a for a in alts if "25 thématiques" in a)
    assert "Investissements en ES et ESMS 153,3 M€ (28,5 %)" in thematics


def test_two_builds_of_the_same_inputs_give_byte_identical_pdfs(built, tmp_path):
    """Reproducible output: what makes the manifest's checksums meaningful. The second build is a real
    one: another `fir build` process with a Prefect home of its own, so an empty result cache (the first
    build may have reused results of this session's earlier builds), into its own outputs folder."""
    import hashlib

    home = tmp_path / "prefect-home"
    home.mkdir()
    run = fir_build(2024, tmp_path / "again", env={**os.environ, "PREFECT_HOME": str(home)})
    # every step ran again, and once: the page groups laid out early (while the charts are drawn) were taken,
    # not asked for again (a second call would have been served from the cache)
    assert "Reprises du cache" not in run.stdout, run.stdout
    assert any((home / "storage").iterdir())  # the child did keep its results in its own home
    for path in (paths.brochure_path, paths.archive_path):
        first = path(built[2024][0].parent.parent.parent, REGION, 2024).read_bytes()
        second = path(tmp_path / "again", REGION, 2024).read_bytes()
        assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_a_correction_plans_the_groups_where_the_latest_revision_has_them(real_builds):
    """A correction's groups are given out at once, each at the page of its first anchor in the latest
    revision's brochure (its named destinations): for the real 2024 brochure, every group but the sommaire
    and the back cover (no anchor), at the pages where its layout put them; and these are the very documents
    `paginate` asks for (a stand-in layout giving each group the pages the real one filled)."""
    from flows.edition.publish import revisions
    from flows.edition.render import assemble, paginate
    from flows.pipeline import graph, nodes

    numbers = assemble.anchor_pages(real_builds[2024][0].read_bytes())
    snapshot = ingest.read_snapshot(paths.INPUTS_DIR, REGION, 2024)
    decision = revisions.decide(None, snapshot.edition.checksums, None, revisions.MANUAL)
    values = {"snapshot": snapshot, "environ": dict(os.environ), "published": None, "decision": decision}
    html = graph.run(values, graph.call, "html")["html"]
    planned = nodes.planned_pages(html, numbers)
    starts = [start for _, _, start in planned]
    assert starts == [1, 3, 4, 6, 11, 24, 31, 34, 35, 38]
    # The sommaire (page 2) and the back cover (page 42) have no anchor: one page each.
    ends = dict(itertools.pairwise(sorted([*starts, 2, 42, 43])))

    def real_pages(document: str, stubs: tuple[str, ...], first: int) -> paginate.PageGroup:
        if first == paginate.FOOTERS:  # the footers' sheet, once the pages are known
            return paginate.PageGroup(b"", document.count('class="footer-page"'), {}, [], stubs)
        ids = [i for i in re.findall(r' id="([^"]+)"', document) if i not in stubs]
        anchors = {i: numbers[i] - first for i in ids if i in numbers}
        return paginate.PageGroup(b"", ends[first] - first, anchors, [], stubs)

    asked: list[tuple[str, tuple[str, ...], int]] = []
    brochure = paginate.paginate(html, lambda *job: asked.append(job) or real_pages(*job))
    assert brochure.pages == 42 and brochure.page_numbers == numbers
    assert set(planned) <= set(asked) and len(asked) == 12 + 1  # the 12 groups and the footers' sheet
