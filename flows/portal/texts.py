"""The text editor: a text's Markdown in a form, the figures it may name offered, each `[[…]]` checked as it
is typed (a small script asking /verifier; without it the page works, and the save says the same), and the
page(s) where the text lands beside it, laid out by the preview's engine and refreshed after each save.

A save is a new input version made from the version the form was opened on (its hidden field `base`): when
someone else changed the same text since, the save is refused, the difference shown and the typed text
kept in the form — nothing lost, nothing overwritten.
"""

from __future__ import annotations

import difflib
import re
import threading
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from flows import paths
from flows.notices import audit, people
from flows.portal import edition_preview, edition_state, input_store, lanes
from flows.portal.access import Visitor
from flows.portal.editing import (
    EDITOR_POLICY,
    Changer,
    Writer,
    WriterFile,
    base_url,
    edition_folder,
    form_number,
    form_text,
    portal,
    previews,
    record,
    render_edition,
    who,
)
from flows.portal.pages import error_page, render

router = APIRouter(prefix="/staff")
assets = APIRouter()
SCRIPT = paths.TEMPLATES_DIR / "portal" / "editeur.js"
PAGES_WAIT_S = 20.0  # the script's request for the pages waits this long for a layout under way
MAX_TEXT_CHARS = 400_000  # a text is a few kB; the form's limit (1 MB, csrf.py) in UTF-8 at worst
_names_lock = threading.Lock()
_names: dict[tuple[str, int], tuple[object, edition_state.FigureNames]] = {}


@assets.get("/portal-editeur.js", include_in_schema=False)
def script() -> FileResponse:
    return FileResponse(SCRIPT, media_type="text/javascript")


def figure_names(request: Request, region: str, year: int) -> edition_state.FigureNames:
    """The catalogue of figures for the edition as its inputs are now (computed again after a change)."""
    inputs = portal(request).inputs
    state = edition_state.fingerprint(inputs, region)
    with _names_lock:
        kept = _names.get((region, year))
    if kept is not None and kept[0] == state:
        return kept[1]
    found = edition_state.figure_names(inputs, region, year)
    with _names_lock:
        _names[(region, year)] = (state, found)
    return found


def _text(request: Request, region: str, year: int, name: str) -> Any:
    edition_folder(request, region, year)
    path = edition_state.text_file(portal(request).inputs, region, year, name)
    if path is None:
        raise HTTPException(404, f"aucun texte « {name[:100]} » dans l'édition {region} {year}")
    return path


@router.get("/editions/{region}/{year}/textes/{name:path}")
async def text_page(
    request: Request, region: str, year: int, name: str, visitor: Writer, apres: int = -1, enregistre: int = 0
) -> Response:
    path = _text(request, region, year, name)
    markdown = path.read_text(encoding="utf-8")
    base = await run_in_threadpool(_base, request, region, year)
    saved = bool(enregistre)
    return await run_in_threadpool(_editor, request, region, year, name, markdown, base, 200, None, apres, "", saved)


def _base(request: Request, region: str, year: int) -> int:
    """The version the form is made from: the latest, the working copy recorded first when it changed on disk."""
    found = portal(request)
    return input_store.base_version(found.catalogue.engine, found.outputs, found.inputs, region, year)


def _editor(
    request: Request,
    region: str,
    year: int,
    name: str,
    markdown: str,
    base: int,
    status: int = 200,
    conflict: dict[str, Any] | None = None,
    after: int = -1,
    error: str = "",
    saved: bool = False,
) -> Response:
    names = figure_names(request, region, year)
    source = f"{region}/{year}/texts/{name}"
    response = render_edition(
        request,
        "text.html.j2",
        status,
        region,
        year,
        name=name,
        title=edition_state.text_titles(portal(request).inputs, region, year).get(name, f"Texte {name}"),
        markdown=markdown,
        base=base,
        names=names,
        problems=edition_state.check_text(markdown, names.names, source),
        references=edition_state.references(markdown, names.names),
        pages=_pages(request, region, year, markdown, after, False),
        conflict=conflict,
        error=error,
        saved=saved,
    )
    response.headers["Content-Security-Policy"] = EDITOR_POLICY
    return response


def _pages(
    request: Request, region: str, year: int, markdown: str, after: int, start: bool, wait: float = 0.0
) -> dict[str, Any]:
    """The pages beside the text, or that they are being laid out (the page's script fetches them then). The
    edition's preview starts when someone asks to see it (`start`: the pages' own address, which the
    editor's script fetches at once); the editor's page alone starts no layout. `wait`: seconds to wait for
    a layout under way, so that the script's request is answered as soon as the pages are ready."""
    found = previews(request)
    preview = found.get(region, year) if start else found.find(region, year)
    images = f"{base_url(region, year)}/apercu"
    if preview is None:
        return {"pending": True, "started": False, "shown": None, "images": images, "after": after, "ok": False}
    preview.follow(edition_state.fingerprint(portal(request).inputs, region))
    if wait:
        preview.wait(wait)
    shown = edition_preview.shown(preview, markdown)
    pending = shown is None or preview.busy or (preview.outcome is not None and preview.outcome.version <= after)
    return {
        "pending": pending,
        "started": True,
        "shown": shown,
        "images": images,
        "after": after,
        "ok": shown is not None and shown.status == edition_preview.OK,
    }


@router.get("/editions/{region}/{year}/apercu")
async def pages_view(
    request: Request, region: str, year: int, visitor: Writer, texte: str = "", apres: int = -1, partiel: int = 0
) -> Response:
    """The pages where a text lands: a page of its own (without the script), or the part of the editor its
    script swaps in once the layout is done (`partiel=1`: answered when the layout under way is done, or
    after PAGES_WAIT_S, the script then asking again)."""
    path = _text(request, region, year, texte)
    markdown = path.read_text(encoding="utf-8")
    wait = PAGES_WAIT_S if partiel else 0.0
    pages = await run_in_threadpool(_pages, request, region, year, markdown, apres, True, wait)
    edition = {"region": region, "year": year}
    shown: dict[str, Any] = {"pages": pages, "edition": edition, "name": texte, "base_href": base_url(region, year)}
    if partiel:
        return render(request, "_text_pages.html.j2", 200, **shown)
    title = edition_state.text_titles(portal(request).inputs, region, year).get(texte, f"Texte {texte}")
    return render(request, "text_pages.html.j2", 200, title=title, **shown)


@router.get("/editions/{region}/{year}/apercu/{name}.png")
async def page_image(request: Request, region: str, year: int, name: str, visitor: WriterFile) -> Response:
    edition_folder(request, region, year)
    preview = previews(request).find(region, year)
    known = preview is not None and re.fullmatch(r"[0-9a-f]{64}_\d{1,4}-\d{1,4}", name)  # preview/build.py Page.key
    found = await run_in_threadpool(preview.images.png, name) if preview is not None and known else None
    if found is None:
        raise HTTPException(404, "page inconnue (l'aperçu a été mis en page de nouveau depuis)")
    return Response(found, media_type="image/png", headers={"Cache-Control": "private, max-age=86400, immutable"})


@router.post("/editions/{region}/{year}/verifier")
async def check(request: Request, region: str, year: int, visitor: Changer) -> Response:
    """The `[[…]]` of a text being typed: those that name no figure (with the names close to them), and the
    figure each other one prints."""
    edition_folder(request, region, year)
    assert visitor.form is not None
    typed = visitor.form.get("texte", "")
    markdown = typed.replace("\r\n", "\n")[:MAX_TEXT_CHARS] if isinstance(typed, str) else ""  # as typed: lines count
    name = form_text(visitor, "nom", 200)
    names = await run_in_threadpool(figure_names, request, region, year)
    source = f"{region}/{year}/texts/{name}"
    return JSONResponse(
        {
            "problems": edition_state.check_text(markdown, names.names, source),
            "references": edition_state.references(markdown, names.names),
            "checked": bool(names.names),
        }
    )


@router.post("/editions/{region}/{year}/textes/{name:path}")
async def save_text(request: Request, region: str, year: int, name: str, visitor: Changer) -> Response:
    _text(request, region, year, name)
    assert visitor.form is not None
    raw = visitor.form.get("texte")
    base = form_number(visitor, "base")
    target = f"{region} {year} texts/{name}"
    if not isinstance(raw, str) or base is None:
        await run_in_threadpool(
            record, request, visitor, audit.INPUT_SAVE, target, audit.REFUSED, "formulaire incomplet"
        )
        return error_page(request, 400, "Formulaire incomplet : rouvrez le texte depuis la page de l'édition")
    markdown = raw.replace("\r\n", "\n")[:MAX_TEXT_CHARS]
    message = form_text(visitor, "message", 200) or f"texte {name} modifié"
    return await run_in_threadpool(_save, request, visitor, region, year, name, markdown, base, message)


def _save(
    request: Request, visitor: Visitor, region: str, year: int, name: str, markdown: str, base: int, message: str
) -> Response:
    found = portal(request)
    engine = found.catalogue.engine
    target = f"{region} {year} texts/{name}"
    data = (markdown.rstrip("\n") + "\n").encode("utf-8")
    key = input_store.key(region, year, f"texts/{name}")
    try:
        saved = input_store.save(
            engine, found.outputs, found.inputs, region, year, {key: data}, base, who(visitor), message
        )
    except input_store.StoreUnavailable as exc:
        record(request, visitor, audit.INPUT_SAVE, target, audit.FAILED, str(exc))
        return _editor(request, region, year, name, markdown, base, 503, error=f"Texte non enregistré : {exc}.")
    except input_store.SaveConflict as exc:
        theirs = exc.theirs
        record(request, visitor, audit.INPUT_SAVE, target, audit.REFUSED, f"conflit avec la version {theirs.number}")
        latest = input_store.versions(engine, found.outputs, region, year)[-1].number  # the form's new base
        return _editor(request, region, year, name, markdown, int(latest), 409, _conflict(request, exc, data))
    preview = previews(request).find(region, year)
    after = preview.follow(edition_state.fingerprint(found.inputs, region)) if preview is not None else -1
    record(request, visitor, audit.INPUT_SAVE, target, audit.OK, f"version {saved.number} : {message}")
    return RedirectResponse(f"{base_url(region, year)}/textes/{name}?enregistre=1&apres={after}#apercu", 303)


def _conflict(request: Request, exc: input_store.SaveConflict, yours: bytes) -> dict[str, Any]:
    """What the refused save shows: who changed the text since, and the difference between their text and
    the one typed (kept in the form)."""
    theirs, now = exc.theirs, exc.current
    current = (now or b"").decode("utf-8", errors="replace")
    known = people.known(portal(request).catalogue.engine)
    return {
        "number": theirs.number,
        "author": people.person(theirs.author, known),
        "at": edition_state_time(theirs.created_at),
        "found": lanes.file_diff(exc.path, now, yours),  # by paragraph, words marked
        "diff": word_diff(current, yours.decode("utf-8")),  # the whole text, words marked
    }


def edition_state_time(value: Any) -> str:
    from flows.portal.public import french_date

    return french_date(value if isinstance(value, str) else value.isoformat())


_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The two texts as runs of words kept (`=`), removed (`-`) and added (`+`), spaces included."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    runs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            runs.append(("=", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("-", "".join(a[i1:i2])))
        if j2 > j1:
            runs.append(("+", "".join(b[j1:j2])))
    return runs
