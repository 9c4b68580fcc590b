"""The brochure's footers, laid out once and stamped on the pages when they are bound (render/footers.py): each
page gets its own number in its outer corner, as a pagination artifact, and a page named as an opener none."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pikepdf

from flows import paths
from flows.edition.render import footers, paginate
from flows.edition.render.layout import lay_out_pages

HEAD = (
    '<html lang="fr"><head><link rel="stylesheet" href="brochure.css">'
    "<style>:root { --brand-primary: #00508c; --ink: #222; }</style>"
    '<style class="page-footer" data-first-page="right">'
    '@page { @bottom-left { content: "Titre | " counter(page); } }'
    '@page :right { @bottom-left { content: none; } @bottom-right { content: "Titre | " counter(page); } }</style>'
    '<style class="page-footer" data-first-page="left" media="not all">'
    '@page { @bottom-right { content: "Titre | " counter(page); } }'
    '@page :right { @bottom-right { content: none; } @bottom-left { content: "Titre | " counter(page); } }</style>'
    "</head><body>"
)
TAIL = "</body></html>"


def _lay_out(document: str) -> paginate.PageGroup:
    return lay_out_pages(document, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], ())


def test_each_page_gets_its_own_number_in_its_outer_corner_as_an_artifact_and_an_opener_none(tmp_path: Path):
    # One group of three pages (they share their resources, as WeasyPrint writes them), its second an opener.
    body = (
        "<p>Un</p>"
        '<div style="break-before: page; page: opener; height: 10mm">Deux</div>'
        '<p style="break-before: page">Trois</p>'
    )
    group = _lay_out(footers.without_footers(HEAD) + body + TAIL)
    assert group.pages == 3 and group.names == ("", "opener", "")
    sheet = _lay_out(footers.sheet_document(HEAD, TAIL, ["", "", "", "opener", ""]))
    assert sheet.pages == 5
    # The group starts on page 3 (right), so its pages are 3, 4 (an opener) and 5.
    stamped = footers.stamped(group.pdf, sheet.pdf, 3)
    (tmp_path / "stamped.pdf").write_bytes(stamped)
    words = subprocess.run(
        ["pdftotext", "-bbox", str(tmp_path / "stamped.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    found = []
    for page in words.split("<page ")[1:]:
        numbers = re.findall(r'<word xMin="([\d.]+)"[^>]*>\|</word>\s*<word[^>]*>(\d+)</word>', page)
        found.append([(int(n), "right" if float(x) > 297 else "left") for x, n in numbers])
    assert found == [[(3, "right")], [], [(5, "right")]]
    with pikepdf.open(io.BytesIO(stamped)) as pdf:
        content = b"".join(
            page.obj.Contents[-1].read_bytes() for page in pdf.pages if isinstance(page.obj.Contents, pikepdf.Array)
        )
        objects = pdf.pages[0].Resources.XObject
        forms = [objects[name].read_bytes() for name in list(objects.keys())]
    assert content.count(b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC") == 2
    footer_forms = [form for form in forms if b"Tf" in form]
    assert footer_forms and all(b"BDC" not in form for form in footer_forms)  # no marked content of its own
    # The same inputs, the same bytes (the pages' resources are named by their number).
    assert footers.stamped(group.pdf, sheet.pdf, 3) == stamped
