"""The edition's files sent from the browser: the guiding workbook (downloaded, filled in, sent back), one
table as CSV, a Word document as a text (or a part split by its headings), the logo. Each file passes the
safety checks first, then the check of what it holds against a copy of the edition (the located report in
the page); a refused file changes nothing, an accepted one is saved as a new input version.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from flows.edition.contract import TABLES
from flows.edition.ingest.snapshot import read_edition
from flows.edition.labels import TABLE_NAMES, file_label
from flows.notices import audit
from flows.portal import edition_state, input_store, lanes
from flows.portal.access import Visitor
from flows.portal.editing import (
    Changer,
    Writer,
    edition_folder,
    form_number,
    form_text,
    portal,
    previews,
    record,
    render_edition,
    who,
)

router = APIRouter(prefix="/staff")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = {"classeur": "xlsx", "tableau": "csv", "word": "docx", "logo": "image"}
WHAT = {
    "classeur": "Classeur",
    "tableau": "Tableau",
    "word": "Document Word",
    "logo": "Logo",
}


@router.get("/editions/{region}/{year}/fichiers")
async def files_page(request: Request, region: str, year: int, visitor: Writer) -> Response:
    edition_folder(request, region, year)
    return await run_in_threadpool(_page, request, region, year)


def _page(
    request: Request,
    region: str,
    year: int,
    status: int = 200,
    outcome: dict[str, Any] | None = None,
) -> Response:
    found = portal(request)
    base = _base(request, region, year)
    texts = edition_state.text_names(found.inputs, region, year)
    parts = edition_state.parts(found.inputs, region, year)
    tables = [{"name": name, "title": TABLE_NAMES.get(name, name)} for name in TABLES]
    return render_edition(
        request,
        "files.html.j2",
        status,
        region,
        year,
        base=base,
        tables=tables,
        texts=texts,
        titles=edition_state.text_titles(found.inputs, region, year),
        parts=parts,
        part_prefix=lanes.PART,
        chosen=_chosen(request),
        outcome=outcome,
    )


def _chosen(request: Request) -> str:
    """The table or text a refused file was sent for: chosen again in its form."""
    visitor = getattr(request.state, "visitor", None)
    if visitor is None or visitor.form is None:
        return ""
    return form_text(visitor, "table", 40) or form_text(visitor, "cible", 200)


def _base(request: Request, region: str, year: int) -> int:
    """The version the form is made from: the latest, the working copy recorded first when it changed on disk."""
    found = portal(request)
    return input_store.base_version(found.catalogue.engine, found.outputs, found.inputs, region, year)


@router.get("/editions/{region}/{year}/fichiers/classeur.xlsx")
async def workbook(request: Request, region: str, year: int, visitor: Writer) -> Response:
    """The guiding workbook of the edition as it is now (`fir workbook`), last year's figures beside."""
    edition_folder(request, region, year)
    data = await run_in_threadpool(_workbook, request, region, year)
    disposition = f'attachment; filename="figures-{region}-{year}.xlsx"'
    return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


def _workbook(request: Request, region: str, year: int) -> bytes:
    from flows.edition.authoring.workbook import earlier_edition, workbook_bytes

    inputs = portal(request).inputs
    edition = read_edition(inputs, region, year, allow_incomplete=True)
    earlier, _ = earlier_edition(inputs, region, year, None)
    return workbook_bytes(edition, earlier, inputs)


@router.post("/editions/{region}/{year}/fichiers/{name}")
async def upload(request: Request, region: str, year: int, name: str, visitor: Changer) -> Response:
    """One file sent: checked, reported, saved as a new version when accepted."""
    edition_folder(request, region, year)
    assert visitor.form is not None
    sent = visitor.form.get("fichier")
    target = f"{region} {year} {name[:20]}"
    if name not in KINDS:
        raise HTTPException(404, "adresse d'envoi inconnue : envoyez le fichier depuis la page des fichiers")
    if not isinstance(sent, UploadFile) or form_number(visitor, "base") is None:
        await run_in_threadpool(record, request, visitor, audit.INPUT_UPLOAD, target, audit.REFUSED, "aucun fichier")
        outcome = {"kind": name, "refused": "Aucun fichier reçu : choisissez un fichier puis envoyez-le."}
        return await run_in_threadpool(_page, request, region, year, 400, outcome)
    data = await sent.read()
    filename = sent.filename or ""
    return await run_in_threadpool(_upload, request, visitor, region, year, name, filename, data)


def _upload(
    request: Request, visitor: Visitor, region: str, year: int, kind: str, filename: str, data: bytes
) -> Response:
    target = f"{region} {year} {kind} « {filename[:80]} »"
    try:
        checked = lanes.check_upload(filename, data, KINDS[kind])
        report, changes = _read(request, visitor, region, year, kind, checked)
    except lanes.refusal_type() as exc:
        record(request, visitor, audit.INPUT_UPLOAD, target, audit.REFUSED, str(exc))
        return _page(request, region, year, 422, {"kind": kind, "refused": str(exc)})
    except lanes.Missing as exc:
        record(request, visitor, audit.INPUT_UPLOAD, target, audit.FAILED, str(exc))
        return _page(request, region, year, 503, {"kind": kind, "refused": f"Fichier non enregistré : {exc}."})
    if not changes:
        record(request, visitor, audit.INPUT_UPLOAD, target, audit.REFUSED, _said(report))
        return _page(request, region, year, 422, {"kind": kind, "report": report})
    return _save(request, visitor, region, year, kind, target, report, changes)


def _read(
    request: Request, visitor: Visitor, region: str, year: int, kind: str, checked: Any
) -> tuple[Any, dict[str, bytes | None]]:
    """What the file holds, checked against a copy of the edition: the report, and the files to write (none
    when refused)."""
    found = portal(request)
    published = found.catalogue.history(region, year)
    if kind == "classeur":
        report = lanes.check_workbook(found.inputs, region, year, checked.name, checked.data, published)
    elif kind == "tableau":
        table = form_text(visitor, "table", 40)
        if table not in TABLES:
            raise lanes.refusal_type()(checked.name, "aucun tableau choisi", "Choisissez le tableau dans la liste.")
        report = lanes.check_table_csv(found.inputs, region, year, table, checked.name, checked.data, published)
    elif kind == "word":
        cible = form_text(visitor, "cible", 200)
        report = lanes.import_word(found.inputs, region, year, cible, checked.name, checked.data)
    else:
        return None, _logo(found.inputs, region, year, checked)
    return report, dict(report.changes) if report.accepted else {}


def _logo(inputs: Any, region: str, year: int, checked: Any) -> dict[str, bytes | None]:
    """The logo replaced: its file (named `logo` with the image's extension) and edition.toml pointing at it."""
    folder = inputs / region / str(year)
    toml = (folder / "edition.toml").read_text(encoding="utf-8")
    name = f"logo{checked.extension}"
    changes: dict[str, bytes | None] = {input_store.key(region, year, name): checked.data}
    line = f'logo = "{name}"'
    current = re.search(r'(?m)^logo\s*=\s*"([^"]*)"\s*$', toml)
    if current is not None:
        if current.group(1) != name and (folder / current.group(1)).is_file():
            changes[input_store.key(region, year, current.group(1))] = None
        toml = toml[: current.start()] + line + toml[current.end() :]
    elif re.search(r"(?m)^\[brand\]\s*$", toml):
        toml = re.sub(r"(?m)^\[brand\]\s*$", f"[brand]\n{line}", toml, count=1)
    else:
        toml = toml.rstrip("\n") + f"\n\n[brand]\n{line}\n"
    changes[input_store.key(region, year, "edition.toml")] = toml.encode("utf-8")
    return changes


def _save(
    request: Request,
    visitor: Visitor,
    region: str,
    year: int,
    kind: str,
    target: str,
    report: Any,
    changes: dict[str, bytes | None],
) -> Response:
    found = portal(request)
    engine = found.catalogue.engine
    assert visitor.form is not None
    base = form_number(visitor, "base") or 0
    message = f"{WHAT[kind]} déposé"
    try:
        saved = input_store.save(
            engine, found.outputs, found.inputs, region, year, changes, base, who(visitor), message
        )
    except input_store.StoreUnavailable as exc:
        record(request, visitor, audit.INPUT_UPLOAD, target, audit.FAILED, str(exc))
        return _page(request, region, year, 503, {"kind": kind, "refused": f"Fichier non enregistré : {exc}."})
    except input_store.SaveConflict as exc:
        changed = file_label(exc.path.removeprefix(f"{region}/{year}/"))
        why = f"{changed} modifié depuis (version {exc.theirs.number})"
        record(request, visitor, audit.INPUT_UPLOAD, target, audit.REFUSED, why)
        refused = (
            f"Fichier non enregistré : {why} par quelqu'un d'autre. Rechargez cette page (la version actuelle est "
            "alors prise en compte) et envoyez-le de nouveau si le vôtre doit la remplacer."
        )
        return _page(request, region, year, 409, {"kind": kind, "refused": refused, "report": report})
    if (preview := previews(request).find(region, year)) is not None:
        preview.follow(edition_state.fingerprint(found.inputs, region))  # the text editor's pages follow
    record(
        request, visitor, audit.INPUT_UPLOAD, target, audit.OK, f"version {saved.number} : {len(changes)} fichier(s)"
    )
    return _page(request, region, year, 200, {"kind": kind, "report": report, "saved": saved.number})


def _said(report: Any) -> str:
    return str(getattr(report, "summary", "refusé"))[:2000]
