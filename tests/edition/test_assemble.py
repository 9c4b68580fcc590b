"""Binding page groups into one tagged PDF, and the archival copy derived from it, on two tiny groups."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pikepdf
import pytest

from flows import paths
from flows.edition.render import assemble, paginate
from flows.edition.render import layout as render
from tests.conftest import REGION

# Group 1: one page, with a link to an anchor of group 2. Group 2: two pages, the second starting at "Fin".
HTML = (
    '<html lang="fr"><head><meta charset="utf-8"><title>Essai de reliure</title></head><body>'
    '<!--fir:pages--><h1 id="debut">Début</h1><p><a href="#fin">Aller à la fin</a></p>'
    '<!--fir:pages--><h1 id="milieu">Milieu</h1><p>Texte.</p>'
    '<h2 id="fin" style="break-before: page">Fin</h2><p>Dernier texte.</p>'
    "</body></html>"
)
DATE = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def groups() -> list[paginate.PageGroup]:
    brochure = paginate.paginate(
        HTML,
        lambda document, stubs, _: render.lay_out_pages(document, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], stubs),
    )
    return brochure.groups


@pytest.fixture(scope="module")
def merged(groups) -> bytes:
    return assemble.merge(groups)


@pytest.fixture(scope="module")
def attachments() -> list[tuple[str, bytes]]:
    folder = paths.INPUTS_DIR / REGION / "2018"
    return [(name, (folder / name).read_bytes()) for name in ("missions.csv", "revenue.csv")]


@pytest.fixture(scope="module")
def archival(merged, attachments) -> bytes:
    return assemble.archival_copy(merged, attachments, DATE)


def _open(pdf: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(pdf))


def _page_index(document: pikepdf.Pdf, page) -> int:
    return next(i for i, p in enumerate(document.pages) if p.obj.objgen == page.objgen)


def _elements(node) -> list[pikepdf.Dictionary]:
    """Every structure element under `node` (following /K only), depth first."""
    found = []
    kids = node.get("/K")
    if kids is None or isinstance(kids, int):
        return found
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/OBJR" and "/S" in kid:
            found += [kid, *_elements(kid)]
    return found


def test_the_groups_are_two_documents_of_one_and_two_pages(groups):
    assert [g.pages for g in groups] == [1, 2]
    assert groups[0].stubs == ("fin",)  # the link's target lives in the other group
    assert groups[1].anchors == {"milieu": 0, "fin": 1}


def test_merge_binds_every_page_in_order(merged):
    with _open(merged) as document:
        assert len(document.pages) == 3
        assert document.Root.Lang == "fr" and str(document.docinfo.Title) == "Essai de reliure"


def test_named_destinations_lead_to_the_real_anchors_not_the_stubs(merged):
    with _open(merged) as document:
        names = document.Root.Names.Dests.Names
        destinations = {str(names[i]): _page_index(document, names[i + 1][0]) for i in range(0, len(names), 2)}
        assert destinations == {"debut": 0, "milieu": 1, "fin": 2}
        [link] = document.pages[0].obj.Annots
        assert link.Subtype == "/Link" and str(link.Dest) == "fin"


def test_the_structure_tree_has_one_document_holding_both_groups(merged):
    with _open(merged) as document:
        root = document.Root.StructTreeRoot
        [top] = root.K
        assert top.S == "/Document"
        elements = _elements(root)
        assert [e.S for e in elements].count("/Document") == 1
        assert all(kid.P.objgen == top.objgen for kid in top.K)
        assert [str(e.S) for e in elements if str(e.S) in ("/H1", "/H2")] == ["/H1", "/H1", "/H2"]
        nums = root.ParentTree.Nums
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        assert keys == sorted(set(keys)) and int(root.ParentTreeNextKey) == max(keys) + 1
        # every page and annotation points at its own entry of the one parent tree
        pointers = [int(page.obj.StructParents) for page in document.pages]
        pointers += [int(a.StructParent) for page in document.pages for a in page.obj.get("/Annots", [])]
        assert sorted(pointers) == keys


def test_the_outline_is_nested_across_groups(merged):
    with _open(merged) as document, document.open_outline() as outline:
        tree = [
            (item.title, _page_index(document, item.destination[0]), [c.title for c in item.children])
            for item in outline.root
        ]
    assert tree == [("Début", 0, []), ("Milieu", 1, ["Fin"])]


def test_merge_is_deterministic(groups, merged):
    assert assemble.merge(groups) == merged


def test_the_bound_pdf_is_pdf_ua_1(merged, tmp_path: Path):
    import page

    path = tmp_path / "bound.pdf"
    path.write_bytes(merged)
    report = page.validate_pdf(str(path), profile="ua1")
    assert report.is_compliant, [(f.rule_id, f.message) for f in report.failures]


# --- archival copy ----------------------------------------------------------------------------------------


def test_the_archival_copy_attaches_exactly_the_given_files_as_data(archival, attachments):
    with _open(archival) as document:
        assert {name: spec.get_file().read_bytes() for name, spec in document.attachments.items()} == dict(attachments)
        specs = list(document.Root.AF)
        assert [str(s.F) for s in specs] == ["missions.csv", "revenue.csv"]
        assert {str(s.AFRelationship) for s in specs} == {"/Data"}
        assert {str(s.EF.F.Subtype) for s in specs} == {"/text/csv"}
        assert {str(s.EF.F.Params.ModDate) for s in specs} == {"D:20190101000000Z"}


def test_the_archival_copy_declares_pdf_a_3a_with_the_same_pages(archival, merged):
    with _open(archival) as document, _open(merged) as published:
        assert len(document.pages) == len(published.pages)
        assert document.Root.OutputIntents[0].S == "/GTS_PDFA1"
        assert all(int(a.F) == 4 for page in document.pages for a in page.obj.get("/Annots", []))  # printable
        xmp = document.open_metadata()
        assert (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) == ("3", "A")
        assert "pdfuaid:part" not in xmp


def test_the_archival_copy_is_pdf_a_3a(archival, tmp_path: Path):
    import page

    path = tmp_path / "archive.pdf"
    path.write_bytes(archival)
    report = page.validate_pdf(str(path), profile="3a")
    assert report.is_compliant, [(f.rule_id, f.message) for f in report.failures]


def test_without_files_the_archival_copy_attaches_nothing(merged):
    with _open(assemble.archival_copy(merged, [], DATE)) as document:
        assert not document.attachments and "/AF" not in document.Root
