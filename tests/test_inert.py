"""Untrusted text is inert: nothing in the inputs makes the renderer read a local file or call a URL."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import http.server
import io
import re
import threading
from pathlib import Path

import pytest

from flows import paths
from flows.edition.ingest import snapshot as ingest
from flows.edition.ingest.snapshot import Snapshot
from flows.edition.prepare import prepare
from flows.edition.render import layout as render
from flows.edition.render.context import build_context
from flows.edition.render.html import render_html
from tests.conftest import REGION
from tests.helpers import brochure_html, draw_charts


@pytest.fixture
def server():
    """A local HTTP server that counts the requests it receives."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red; }")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()


@pytest.fixture
def fetched(monkeypatch) -> list[str]:
    """Every URL the PDF renderer's fetcher was asked for, refused or not."""
    urls: list[str] = []
    original = render._allowed_fetcher

    def recording(roots):
        fetcher = original(roots)
        fetch = fetcher.fetch

        def wrapper(url, headers=None):
            urls.append(url)
            return fetch(url, headers)

        fetcher.fetch = wrapper
        return fetcher

    monkeypatch.setattr(render, "_allowed_fetcher", recording)
    return urls


def _print(html: str, roots: list[Path]) -> render.PrintedPdf:
    return render.print_document(html, paths.TEMPLATES_DIR, roots, [], dt.datetime(2025, 1, 1, tzinfo=dt.UTC))


def _allowed(url: str, roots: list[Path], data_urls: set[str]) -> bool:
    """A URL the renderer may serve: a file under one of `roots`, or one of the known `data_urls`."""
    if url.startswith("data:"):
        return url in data_urls
    path = Path(url.removeprefix("file://")).resolve()
    return any(root.resolve() in path.parents for root in roots)


def _data_svg(base: str, name: str) -> str:
    """A data: URL holding an SVG picture that would fetch `{base}/{name}` if anything served it."""
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><image href="{base}/{name}"/></svg>'
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def test_hostile_markdown_through_the_whole_pipeline_reaches_nothing(inputs_copy, server, fetched):
    base, hits = server
    data_url = _data_svg(base, "data-svg")
    hostile = f"""Texte.

<img src="{base}/img-raw"> <link rel="stylesheet" href="{base}/link-raw">
<style>@import url("{base}/import-raw"); body {{ background: url("{base}/bg-raw"); }}</style>
<script>document.write('<img src="{base}/script">')</script>
<link rel="attachment" href="file:///etc/passwd">
<img src="{data_url}"> <object data="{data_url}"></object>

![image]({base}/img-md) ![local](file:///etc/passwd) ![up](../../../../etc/hostname) ![data]({data_url})

[lien local](file:///etc/passwd) [javascript](javascript:alert(1)) [data]({data_url})
"""
    (inputs_copy / REGION / "2024" / "texts" / "chiffres.md").write_text(hostile, encoding="utf-8")
    edition = ingest.read_edition(inputs_copy, REGION, 2024)
    prepared = prepare(Snapshot(edition))
    charts = draw_charts(edition, prepared.figures)
    html = render_html(build_context(edition, prepared, charts), paths.TEMPLATES_DIR)
    assert "<script>" not in html and '<img src="http' not in html and 'href="file:' not in html
    assert f'="{data_url}"' not in html  # the hostile data: URL is only text, in no attribute
    roots = [paths.TEMPLATES_DIR]
    printed = _print(html, roots)
    assert hits == []
    # The only data: URLs the renderer served are the charts our own pipeline drew, every one of them.
    charts_drawn = {chart.src for chart in charts.values()}
    assert set(charts) == {"thematics", "thematic-subset"}
    assert {url for url in fetched if url.startswith("data:")} == charts_drawn
    assert all(_allowed(url, roots, charts_drawn) for url in fetched), fetched
    assert b"root:x:0:0" not in printed.published and b"root:x:0:0" not in printed.archival


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="{base}/img" alt="x">',
        '<link rel="stylesheet" href="{base}/style.css">',
        '<style>@import url("{base}/import.css");</style>',
        "<p style=\"background: url('{base}/bg.png')\">x</p>",
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="{base}/svg-image"/></svg>',
        '<img src="file:///etc/passwd" alt="x">',
        '<img src="../../../../../etc/hostname" alt="x">',
        '<link rel="stylesheet" href="file:///etc/ssl/openssl.cnf">',
        '<style>@font-face {{ font-family: x; src: url("{base}/font.otf"); }} p {{ font-family: x; }}</style><p>x</p>',
        '<img src="{data_svg}" alt="x">',  # a data: picture is served, what it points to is not
    ],
)
def test_the_pdf_fetcher_refuses_urls_and_files_outside_the_allowed_folders(server, fetched, markup):
    base, hits = server
    markup = markup.format(base=base, data_svg=_data_svg(base, "svg-in-data"))
    html = f'<html lang="fr"><head><title>t</title></head><body><p>x</p>{markup}</body></html>'
    roots = [paths.TEMPLATES_DIR]
    printed = _print(html, roots)
    assert hits == []
    written = set(re.findall(r"data:[^\"'\s)]+", html))  # the data: URLs of the document itself
    assert {url for url in fetched if url.startswith("data:")} == written, fetched
    refused = [url for url in fetched if not _allowed(url, roots, written)]
    assert refused, fetched  # it was asked, and said no
    assert b"root:x:0:0" not in printed.published


def test_a_refused_attachment_link_attaches_nothing(server, fetched):
    """An attachment link to a file outside the allowed folders is refused: reported, never embedded.
    (WeasyPrint 70 crashed on this while writing a PDF/A itself; the archival copy is now derived from
    the published PDF, which only carries what the fetcher served.) Our templates emit no such link and
    narrative HTML is escaped, so only hand-made HTML can reach this."""
    import pikepdf

    html = '<html lang="fr"><head><title>t</title><link rel="attachment" href="file:///etc/passwd"></head><body></body></html>'
    printed = _print(html, [paths.TEMPLATES_DIR])
    assert fetched == ["file:///etc/passwd"]
    assert any("refusée" in w for w in printed.warnings), printed.warnings
    for pdf in (printed.published, printed.archival):
        assert b"root:x:0:0" not in pdf
        with pikepdf.open(io.BytesIO(pdf)) as document:
            assert "/Names" not in document.Root or "/EmbeddedFiles" not in document.Root.Names


def test_metadata_cannot_point_the_logo_outside_the_edition(inputs_copy):
    from flows.edition.errors import InputError

    path = inputs_copy / REGION / "2024" / "edition.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("[brand]", '[brand]\nlogo = "../../../../etc/passwd"'),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"brand\.logo"):
        ingest.read_edition(inputs_copy, REGION, 2024)


def test_table_text_is_escaped_in_the_html(edition_2024):
    parts = edition_2024.tables["parts"]
    hostile = parts.with_columns(parts["title"].str.replace("^", '<img src="http://127.0.0.1:9/x">'))
    edition = dataclasses.replace(edition_2024, tables={**edition_2024.tables, "parts": hostile})
    html = brochure_html(edition)
    assert '<img src="http://127.0.0.1:9/x">' not in html and "&lt;img src=" in html
