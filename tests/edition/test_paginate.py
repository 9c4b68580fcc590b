"""Page groups: numbering, page sides, sommaire numbers and re-layout only of what changed.

A fake layout stands in for WeasyPrint: each group's document says how many pages it fills, so the
pagination logic is checked on its own, fast; the real brochure is checked end to end elsewhere.
"""

from __future__ import annotations

import re

import pytest

from flows.edition.render import paginate
from flows.edition.render.paginate import MARKER, PageGroup

HEAD = (
    '<html lang="fr"><head><title>t</title>'
    '<style class="page-footer" data-first-page="right">R</style>'
    '<style class="page-footer" data-first-page="left" media="not all">L</style></head><body>'
)


def _html(*groups: str) -> str:
    return HEAD + "".join(MARKER + g for g in groups) + "</body></html>"


def _group(name: str, pages: int, *anchors: str) -> str:
    """A group whose fake layout fills `pages` pages, with its anchors on its first page."""
    return (
        f'<section data-name="{name}" data-pages="{pages}">'
        + "".join(f'<h2 id="{a}">{a}</h2>' for a in anchors)
        + "</section>"
    )


def _toc(*anchors: str, per_page: int = 100) -> str:
    """A sommaire: one line per entry, `per_page` lines per page."""
    lines = "".join(f'<li><a href="#{a}" data-page="@@page:{a}@@">{a}</a></li>' for a in anchors)
    return f'<section data-name="toc" data-per-page="{per_page}"><ol>{lines}</ol></section>'


class FakeLayout:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []  # the groups laid out, and where
        self.sheets: list[int] = []  # the footers' sheets laid out

    def __call__(self, document: str, stubs: tuple[str, ...], first_page: int) -> PageGroup:
        if 'class="footer-page"' in document:  # the footers' sheet: one page per div
            self.sheets.append(first_page)
            return PageGroup(document.encode(), document.count('class="footer-page"'), {}, [], stubs)
        name = re.search(r'data-name="([^"]+)"', document).group(1)
        self.calls.append((name, first_page))
        if per_page := re.search(r'data-per-page="(\d+)"', document):
            pages = -(-document.count("<li>") // int(per_page.group(1)))
            pages += any(len(n) >= 3 for n in re.findall(r'data-page="(\d+)"', document))
        else:
            pages = int(re.search(r'data-pages="(\d+)"', document).group(1))
        ids = [i for i in re.findall(r'id="([^"]+)"', document) if i not in stubs]
        return PageGroup(document.encode(), pages, dict.fromkeys(ids, 0), [], stubs)


def test_a_group_s_document_is_the_same_wherever_it_starts_and_the_footers_are_one_sheet_for_the_brochure():
    """Groups are laid out without their footers (the one thing on a page that depends on where it stands):
    their documents do not say where they start. The footers are one document of as many pages as the
    brochure, each named as the brochure's page, from page 1 (a right-hand page)."""
    html = _html(_group("cover", 1), _group("intro", 2, "a"), _group("part", 3, "b"))
    head, bodies, tail = paginate.split(html)
    assert len(bodies) == 3
    document, _ = paginate.group_document(head, bodies[1], tail, {})
    assert "counter-reset" not in document and 'data-first-page="right">' not in document
    assert '<style class="page-footer" data-first-page="left" media="not all">' in document
    assert paginate.planned_independent(html) == [
        (*paginate.group_document(head, body, tail, {}), paginate.UNKNOWN_PAGE) for body in bodies
    ]
    layout = FakeLayout()
    brochure = paginate.paginate(html, layout)
    assert brochure.footers is not None and brochure.page_numbers == {"a": 2, "b": 4}
    sheet = brochure.footers.pdf.decode()
    assert sheet.count('class="footer-page"') == 6 and '<style class="page-footer" data-first-page="right">' in sheet
    assert layout.sheets == [paginate.FOOTERS]  # laid out once, with the pages known


def test_sommaire_numbers_are_the_pages_of_the_anchors_and_links_to_other_groups_keep_a_target():
    layout = FakeLayout()
    html = _html(_group("cover", 1), _toc("a", "b"), _group("one", 3, "a"), _group("two", 2, "b"))
    brochure = paginate.paginate(html, layout)
    assert brochure.page_numbers == {"a": 3, "b": 6}
    assert brochure.pages == 1 + 1 + 3 + 2
    toc = next(g for g in brochure.groups if b'data-name="toc"' in g.pdf).pdf.decode()
    assert 'data-page="3"' in toc and 'data-page="6"' in toc
    assert '<div id="a"></div>' in toc  # a stub: the layout keeps the link, the merge points it at "a"
    assert brochure.groups[1].stubs == ("a", "b") and "a" not in brochure.groups[1].anchors


def test_a_sommaire_that_grows_with_its_numbers_moves_the_groups_after_it():
    """The sommaire is assumed to fill one page; with a three-digit page number it fills two (the fake
    rule below), so every later group starts one page later and the numbers follow."""
    layout = FakeLayout()
    html = _html(_group("cover", 1), _toc("a", "b"), _group("big", 150, "a"), _group("end", 1, "b"))
    brochure = paginate.paginate(html, layout)
    assert [g.pages for g in brochure.groups] == [1, 2, 150, 1]
    assert brochure.page_numbers == {"a": 4, "b": 154}
    assert brochure.passes == 3
    assert ("big", 3) in layout.calls and ("big", 4) not in layout.calls  # one page later, the same pages


def test_an_unchanged_group_is_laid_out_once_and_a_missing_target_is_an_error():
    layout = FakeLayout()
    html = _html(_group("cover", 1), _toc("a"), _group("one", 3, "a"), _group("two", 2))
    paginate.paginate(html, layout)
    names = [name for name, _ in layout.calls]
    assert names.count("one") == 1 and names.count("two") == 1 and names.count("cover") == 1
    assert names.count("toc") == 1  # once, with its real numbers: the groups after it did not move
    with pytest.raises(paginate.PaginationError, match="#missing"):
        paginate.paginate(_html(_group("cover", 1), _toc("missing")), FakeLayout())


def test_a_document_without_markers_is_one_group():
    layout = FakeLayout()
    brochure = paginate.paginate(HEAD + _group("all", 4) + "</body></html>", layout)
    assert brochure.pages == 4 and len(brochure.groups) == 1 and brochure.passes == 1


def test_a_reference_to_an_anchor_inside_the_sommaire_itself_is_found_on_a_further_pass():
    layout = FakeLayout()
    toc = _toc("sommaire", "a").replace('<section data-name="toc"', '<section id="sommaire" data-name="toc"')
    brochure = paginate.paginate(_html(_group("cover", 1), toc, _group("one", 2, "a")), layout)
    assert brochure.page_numbers == {"sommaire": 2, "a": 3}
    toc_pdf = next(g for g in brochure.groups if b'data-name="toc"' in g.pdf).pdf.decode()
    assert 'href="#sommaire" data-page="2"' in toc_pdf and 'data-page="3"' in toc_pdf


def _paginate_after_planning(
    html: str, plan: tuple[list[int], dict[str, int]], planned: list | None = None
) -> tuple[paginate.Brochure, list]:
    """Lay out the planned documents first (as the preview's workers do, or `planned`: a correction's), then
    paginate: the brochure, and the groups paginate had to lay out itself."""
    planned = paginate.planned_documents(html, *plan) if planned is None else planned
    done = {document: FakeLayout()(document, stubs, start) for document, stubs, start in planned}
    itself = FakeLayout()
    brochure = paginate.paginate(html, lambda d, stubs, start: done[d] if d in done else itself(d, stubs, start))
    return brochure, itself.calls


def test_the_planned_documents_are_those_paginate_asks_for_when_no_group_changes_length():
    """`fir preview` lays these out side by side beforehand: when no group changed length, paginate finds
    every one of them done; when one did, it lays out itself what moved."""
    html = _html(_group("cover", 1), _toc("a", "b"), _group("one", 3, "a"), _group("two", 2, "b"))
    first = paginate.paginate(html, FakeLayout())
    plan = ([g.pages for g in first.groups], first.page_numbers)
    edited = html.replace('<h2 id="b">b</h2>', '<h2 id="b">b, revu</h2>')
    assert [start for _, _, start in paginate.planned_documents(edited, *plan)] == [1, 2, 3, 6]
    again, calls = _paginate_after_planning(edited, plan)
    assert calls == [] and again.page_numbers == first.page_numbers

    longer = edited.replace('data-name="one" data-pages="3"', 'data-name="one" data-pages="4"')
    moved, calls = _paginate_after_planning(longer, plan)
    assert moved.page_numbers == {"a": 3, "b": 7}
    assert calls == [("toc", 2)]  # its numbers changed; what moved is the same pages, found done
    assert paginate.planned_documents(_html(_group("cover", 1)), *plan) == []  # not the same groups


def test_a_correction_plans_each_group_at_the_page_of_its_first_anchor_in_the_latest_revision():
    """A build has no earlier layout of its own, but the latest revision's brochure has its anchors' pages
    (assemble.anchor_pages): each group at the page of its first anchor, the first at page 1; a group without
    anchors (the sommaire here) is left to paginate, as one whose references the pages cannot fill."""
    html = _html(_group("cover", 1), _toc("a", "b"), _group("one", 3, "a", "a2"), _group("two", 2, "b"))
    first = paginate.paginate(html, FakeLayout())
    planned = paginate.planned_at_anchors(html, first.page_numbers)
    assert [start for _, _, start in planned] == [1, 3, 6]
    again, calls = _paginate_after_planning(html, ([], {}), planned)
    assert calls == [("toc", 2)] and again.page_numbers == first.page_numbers  # only the sommaire laid out
    erratum = html.replace('<h2 id="b">b</h2>', '<h2 id="b">b</h2><p data-page="@@page:erratum@@"></p>')
    assert [start for _, _, start in paginate.planned_at_anchors(erratum, first.page_numbers)] == [1, 3]


def test_a_group_whose_page_list_names_its_own_anchors_and_earlier_ones_gets_their_pages():
    """The erratum shares the last group of content (brochure.html.j2): its page list names pages of that very
    group, found once the group is laid out, and of earlier groups; an anchor the brochure lacks is skipped."""
    layout = FakeLayout()
    last = _group("last", 2, "b").replace("</section>", '<p class="erratum">@@pages:b+a+absent@@</p></section>')
    html = _html(_group("cover", 1), _toc("a", "b"), _group("one", 3, "a"), last, _group("back", 1, "z"))
    brochure = paginate.paginate(html, layout)
    assert brochure.page_numbers == {"a": 3, "b": 6, "z": 8} and brochure.pages == 8
    last_pdf = next(g for g in brochure.groups if b'data-name="last"' in g.pdf).pdf.decode()
    assert '<p class="erratum">3, 6</p>' in last_pdf
    assert ("back", 8) in layout.calls and brochure.passes <= 3


def test_with_the_right_numbers_as_hint_every_group_is_laid_out_once_and_a_wrong_hint_changes_nothing():
    """The print file is paginated with the published brochure's numbers, the preview with its last layout's."""
    last = _group("last", 2, "b").replace("</section>", '<p class="erratum">@@pages:b+a@@</p></section>')
    html = _html(_group("cover", 1), _toc("a", "b"), _group("one", 3, "a"), last, _group("back", 1, "z"))
    plain = paginate.paginate(html, FakeLayout())
    layout = FakeLayout()
    hinted = paginate.paginate(html, layout, plain.page_numbers)
    assert [g.pdf for g in hinted.groups] == [g.pdf for g in plain.groups] and hinted.passes == 1
    assert sorted(layout.calls) == sorted(set(layout.calls)) and len(layout.calls) == 5  # each group once
    for wrong in ({"a": 9, "b": 1, "z": 2}, {"b": 6}):  # wrong pages; the sommaire's « a » missing: it waits
        again = paginate.paginate(html, FakeLayout(), wrong)
        assert [g.pdf for g in again.groups] == [g.pdf for g in plain.groups], wrong


def test_the_leading_groups_are_those_paginate_asks_for_first_up_to_the_first_that_holds_the_mark():
    """Laid out while the charts are drawn: the groups before the first holding the placeholder that print no
    page number (the sommaire waits), at a page not known yet (the same wherever they start), nothing after."""
    mark = "data:,pending"
    final = _html(_group("cover", 1), _toc("a", "c"), _group("a", 3, "a"), _group("c", 2, "c") + "<img src='chart'>")
    early = final.replace("<img src='chart'>", f"<img src='{mark}'>")
    ahead = FakeLayout()
    assert paginate.lay_out_leading(early, ahead, mark) == 2
    assert ahead.calls == [("cover", paginate.UNKNOWN_PAGE), ("a", paginate.UNKNOWN_PAGE)]
    asked: list[str] = []
    paginate.paginate(
        final, lambda document, stubs, first: asked.append(document) or FakeLayout()(document, stubs, first)
    )
    leading: list[str] = []
    paginate.lay_out_leading(early, lambda document, stubs, first: leading.append(document), mark)
    assert asked[:2] == leading  # the very documents: found done (memo, ahead), not laid out again
    in_head = early.replace("</head>", f"<style>.chart {{ background: url('{mark}'); }}</style></head>", 1)
    assert paginate.lay_out_leading(in_head, FakeLayout(), mark) == 0  # every group's document holds it


def test_the_erratum_does_not_wait_the_sommaire_gets_its_page_at_once_and_nothing_is_laid_out_twice():
    """A first correction: the erratum, in the last group of content, lists where the figure is printed, and
    the sommaire names the erratum's page. The erratum's group is laid out in the first pass (its list needs
    only earlier pages), so the back cover is laid out at its real page and the sommaire once, in two passes."""
    layout = FakeLayout()
    last = _group("last", 3, "b").replace("</section>", '<p class="erratum" id="err">@@pages:a@@</p></section>')
    html = _html(_group("cover", 1), _toc("a", "b", "err"), _group("one", 3, "a"), last, _group("back", 1, "z"))
    brochure = paginate.paginate(html, layout)
    assert layout.calls == [("cover", 1), ("one", 3), ("last", 6), ("back", 9), ("toc", 2)]
    assert brochure.passes == 2 and brochure.page_numbers == {"a": 3, "b": 6, "err": 6, "z": 9}
    # a group whose anchors no one needs, or that prints a number not known yet, still waits
    _, bodies, _ = paginate.split(html)
    assert paginate._waits(bodies[1], {"a", "b", "err"}, {}) and not paginate._waits(bodies[3], {"err"}, {"a": 3})
    early = FakeLayout()
    assert paginate.lay_out_leading(html, early, "never-there") == 3  # the erratum's group prints pages: it waits
    assert [name for name, _ in early.calls] == ["cover", "one", "back"]
