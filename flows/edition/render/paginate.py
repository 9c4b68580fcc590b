"""Split the brochure into page groups, laid out one by one, so that a correction lays out again only
the pages it touches.

The template marks with `<!--fir:pages-->` each place where a new page starts whatever the content
(cover, sommaire, each part, the figures, the back cover). Each group becomes a document of its own, laid
out without its footers (render/footers.py: laid out once for the whole brochure and stamped on its pages when
they are bound), so its pages are those of the whole brochure wherever it starts: groups are laid out side by
side before their first page is known (`planned_independent`), and a group that moves is not laid out again.
Cross-group page references (the sommaire's numbers, written `@@page:anchor@@`
by the template) are filled in once the other groups are laid out: the groups that hold references
wait, assumed one page long, and are laid out once with the real numbers; if that moves anything (a
sommaire longer than a page), again until nothing moves. A group may name pages of its own anchors: the
erratum shares the last group of content (so that it follows the last page of content), and its page list
may name that group's pages, found by a further pass. The erratum does not wait: the sommaire needs its
page, and its lists may leave out what is not known yet, so it is laid out in the first pass (the groups
after it in place, the sommaire with every number at once). Given the numbers another layout of the same pages
found (`hint`: the published brochure's, for the print file; the last one, for the preview), no group
waits and each is laid out once when they are right. A group whose document has not changed is not laid
out again (memoised here within a run, cached by Prefect across runs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from flows.edition.render import footers

MARKER = "<!--fir:pages-->"
PAGE_REF = re.compile(r"@@page:([A-Za-z0-9_-]+)@@")
# The pages of several anchors (`@@pages:a+b@@` → `12, 14`), each once; anchors not in the brochure are
# skipped (an erratum names where a figure may be printed), and none found prints a dash.
PAGES_REF = re.compile(r"@@pages:([A-Za-z0-9_+-]*)@@")
ASSUMED_PAGES = 1  # a group with page references (the sommaire), until it is laid out with its numbers
# The first page given to `lay_out` for a document whose first page is not known, or is not a group's: a group
# laid out before the pages before it (`planned_independent`), the footers' sheet. The layout never depends on it.
FOOTERS = UNKNOWN_PAGE = 0
_ID = re.compile(r'\sid="([^"]+)"')
_LINK = re.compile(r'\shref="#([^"]+)"')
_MAX_PASSES = 4


class PaginationError(RuntimeError):
    """The template broke the page-group contract (a bug in our templates, not a user mistake)."""


@dataclass(frozen=True)
class PageGroup:
    """One laid-out group of pages: its PDF, and what the whole brochure needs to know about it."""

    pdf: bytes  # a tagged PDF (PDF/UA-1) of this group alone, without its footers (render/footers.py)
    pages: int
    anchors: dict[str, int]  # element id → page index within the group (link stubs excluded)
    bookmarks: list[tuple[int, str, int, float, float, str]]  # level, label, page index, x, y (PDF), state
    stubs: tuple[str, ...] = ()  # ids added only so that links to other groups survive the layout
    warnings: list[str] = field(default_factory=list)
    texts: tuple[str, ...] = ()  # each page's text, when asked for (`fir preview`)
    names: tuple[str, ...] = ()  # each page's named page (`cover`, `opener`, `part-opener`; "" for none)


@dataclass(frozen=True)
class Brochure:
    groups: list[PageGroup]
    page_numbers: dict[str, int]  # anchor → page number in the whole brochure
    passes: int
    footers: PageGroup | None = None  # every page's footer, stamped when the pages are bound (render/footers.py)

    @property
    def pages(self) -> int:
        return sum(g.pages for g in self.groups)


def split(html: str) -> tuple[str, list[str], str]:
    """The shared head (up to `<body>`), the groups' bodies, and the closing tags.

    A document without markers is one group.
    """
    head, sep, rest = html.partition("<body>")
    body, sep2, tail = rest.rpartition("</body>")
    if not sep or not sep2:
        raise PaginationError("document sans <body> ni </body>")
    groups = [part for part in body.split(MARKER) if part.strip()] or [body]
    return head + sep, groups, sep2 + tail


def group_document(head: str, body: str, tail: str, numbers: dict[str, int]) -> tuple[str, tuple[str, ...]]:
    """A standalone document for one group, without its footers (render/footers.py: stamped when the pages are
    bound), so the same wherever it starts: its page references filled from `numbers`, and link stubs."""

    def page_number(match: re.Match[str]) -> str:
        if match.group(1) not in numbers:
            raise PaginationError(f"renvoi vers une ancre absente de la brochure : #{match.group(1)}")
        return str(numbers[match.group(1)])

    def page_list(match: re.Match[str]) -> str:
        found = sorted({numbers[a] for a in match.group(1).split("+") if a in numbers})
        return ", ".join(map(str, found)) or "—"

    body = PAGE_REF.sub(page_number, body)
    body = PAGES_REF.sub(page_list, body)
    # Links to another group's anchors would be dropped by the layout: empty targets keep them, and
    # the merge points them at the real anchors.
    stubs = tuple(sorted(set(_LINK.findall(body)) - set(_ID.findall(body))))
    if stubs:  # first, where they cannot push anything onto a new page
        body = '<div class="link-targets">' + "".join(f'<div id="{escape(s)}"></div>' for s in stubs) + "</div>" + body
    return footers.without_footers(head) + body + tail, stubs


def planned_documents(
    html: str, pages: Sequence[int], numbers: Mapping[str, int]
) -> list[tuple[str, tuple[str, ...], int]]:
    """Each group's document (with its stubs and first page) where an earlier layout put it: `pages`, that
    layout's page count per group, and `numbers`, its anchors' page numbers. These are the documents
    `paginate` asks for when no group changed length, so they can be laid out side by side beforehand.
    Empty when the groups are not as many as `pages`; a group whose references `numbers` cannot fill is left out."""
    head, bodies, tail = split(html)
    if len(bodies) != len(pages):
        return []
    planned = []
    first_page = 1
    for body, count in zip(bodies, pages, strict=True):
        try:
            document, stubs = group_document(head, body, tail, dict(numbers))
        except PaginationError:
            pass  # an anchor the earlier layout did not have: paginate finds it
        else:
            planned.append((document, stubs, first_page))
        first_page += count
    return planned


def planned_independent(html: str, until: str | None = None) -> list[tuple[str, tuple[str, ...], int]]:
    """The documents of the groups that print no page number (before the first whose body holds `until`), which
    are the same whatever the others hold: what `paginate` asks for in its first pass, laid out side by side
    beforehand when no earlier layout is known."""
    head, bodies, tail = split(html)
    if until is not None and until in head:
        return []
    jobs = []
    for body in bodies:
        if until is not None and until in body:
            break
        if not (PAGE_REF.search(body) or PAGES_REF.search(body)):  # the others wait for the page numbers
            jobs.append((*group_document(head, body, tail, {}), UNKNOWN_PAGE))
    return jobs


def planned_at_anchors(html: str, numbers: Mapping[str, int]) -> list[tuple[str, tuple[str, ...], int]]:
    """Each group's document where an earlier layout's anchors put it (`numbers`: anchor → page, as a bound
    brochure's named destinations give them, `assemble.anchor_pages`): a group starts on the page of its first
    anchor, the first group on page 1. A group without anchors, or whose references `numbers` cannot fill, is
    left out. When no group changed length, these are the documents `paginate` asks for: a correction lays out
    side by side, beforehand, the groups it changed."""
    head, bodies, tail = split(html)
    planned = []
    for index, body in enumerate(bodies):
        first_page = 1 if index == 0 else min((numbers[a] for a in _ID.findall(body) if a in numbers), default=0)
        if first_page < 1:
            continue
        try:
            document, stubs = group_document(head, body, tail, dict(numbers))
        except PaginationError:
            continue  # an anchor the earlier layout did not have (a first erratum): paginate finds it
        planned.append((document, stubs, first_page))
    return planned


def _waits(body: str, needed: set[str], found: Mapping[str, int]) -> bool:
    """Whether a group waits, in a first pass without a hint, for the page numbers it prints: one with page
    references does, unless others need the pages of its own anchors and every single number it prints is
    known already (the erratum, which shares the last group of content: its page lists may leave out what is
    not known yet, and the sommaire then prints the erratum's page at once, the groups after it in place)."""
    if not (PAGE_REF.search(body) or PAGES_REF.search(body)):
        return False
    return not (set(_ID.findall(body)) & needed) or not all(ref in found for ref in PAGE_REF.findall(body))


LayOut = Callable[[str, tuple[str, ...], int], PageGroup]


def _one_pass(
    head: str,
    bodies: list[str],
    tail: str,
    numbers: dict[str, int] | None,
    lay_out: LayOut,
    until: str | None = None,
) -> tuple[list[PageGroup | None], dict[str, int]]:
    """One pass over the groups in order, each at the page after the last of the one before: their layouts
    (None for a group waiting for its numbers, assumed one page long) and the anchors' pages found. `numbers`:
    the page references' numbers, None on a first pass without a hint (a group then prints those found so
    far, `_waits`). `until`: stop before the first group whose body holds it."""
    needed = {ref for body in bodies for ref in PAGE_REF.findall(body)}
    groups: list[PageGroup | None] = []
    found: dict[str, int] = {}
    first_page = 1
    for body in bodies:
        if until is not None and until in body:
            break
        if numbers is None and _waits(body, needed, found):
            groups.append(None)  # laid out once its numbers are known
            first_page += ASSUMED_PAGES
            continue
        document, stubs = group_document(head, body, tail, found if numbers is None else numbers)
        group = lay_out(document, stubs, first_page)
        groups.append(group)
        for anchor, index_in_group in group.anchors.items():
            found.setdefault(anchor, first_page + index_in_group)
        first_page += group.pages
    return groups, found


def lay_out_leading(html: str, lay_out: LayOut, until: str) -> int:
    """Give `lay_out`, in order, the documents of the groups before the first whose body holds `until` that print
    no page number (at a page not known yet: the same wherever they start): the brochure's groups before its
    first chart, from a document whose charts are placeholders, laid out while the charts are drawn. These are
    documents `paginate` asks for; one that turns out different in the real document is never asked for:
    nothing is taken that should not be. `lay_out` may lay them out or give them out (its result is not read).
    Returns how many."""
    jobs = planned_independent(html, until)
    for job in jobs:
        lay_out(*job)
    return len(jobs)


def paginate(html: str, lay_out: LayOut, hint: Mapping[str, int] | None = None) -> Brochure:
    """Lay out every group at its page number; fill the page references; repeat until stable.

    `lay_out(document, stubs, first_page)` lays out one group's standalone document. `hint`: the anchors' pages
    as expected (module docstring), used from the first pass when it has every anchor the sommaire needs.
    """
    head, bodies, tail = split(html)
    referencing = any(PAGE_REF.search(body) or PAGES_REF.search(body) for body in bodies)
    memo: dict[str, PageGroup] = {}

    def memoised(document: str, stubs: tuple[str, ...], first_page: int) -> PageGroup:
        if document not in memo:
            memo[document] = lay_out(document, stubs, first_page)
        return memo[document]

    numbers: dict[str, int] | None = None  # None: the first pass, references not known yet
    if hint is not None and all(ref in hint for body in bodies for ref in PAGE_REF.findall(body)):
        numbers = dict(hint)
    for passes in range(1, _MAX_PASSES + 1):
        groups, found = _one_pass(head, bodies, tail, numbers, memoised)
        wanted = {ref: found.get(ref) for body in bodies for ref in PAGE_REF.findall(body)}
        required = set(wanted)
        wanted |= {
            ref: found.get(ref) for body in bodies for refs in PAGES_REF.findall(body) for ref in refs.split("+") if ref
        }
        if numbers is None and referencing:  # anchors in a waiting group are not known yet: the next pass finds them
            numbers = {ref: page or 0 for ref, page in wanted.items()}
            continue
        if missing := sorted(ref for ref, page in wanted.items() if page is None and ref in required):
            raise PaginationError(f"renvoi vers une ancre absente de la brochure : #{missing[0]}")
        if all((numbers or {}).get(ref) == page for ref, page in wanted.items()):
            laid = [g for g in groups if g is not None]
            names = [name for group in laid for name in (group.names or ("",) * group.pages)]
            sheet = memoised(footers.sheet_document(head, tail, names), (), FOOTERS)
            return Brochure(laid, found, passes, sheet)
        numbers = {ref: page for ref, page in wanted.items() if page is not None}
    raise PaginationError("la pagination du sommaire ne se stabilise pas")
