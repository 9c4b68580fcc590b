"""« Guide de l'édition annuelle »: the staff's guide to the yearly routine in the portal (templates/portal/
guide.html.j2), with the screenshots the yearly routine's browser test takes (templates/portal/guide/, made by
scripts/guide_screenshots.sh), each shown at the phone's or the desktop's width.

Every logged-in account reads it, whatever its role: it says what each role does. It is not public: its
screenshots show the staff's pages and a draft before approval, and the public has nothing to do there.
"""

from __future__ import annotations

import re
import struct
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response

from flows.portal.access import Visitor, require
from flows.portal.pages import TEMPLATES, render

router = APIRouter(prefix="/staff")
IMAGES = TEMPLATES / "guide"
IMAGE_NAME = re.compile(r"[a-z0-9-]{1,60}-(?:375|1280)")  # a screenshot's name, without its « .png »
Anyone = Annotated[Visitor, Depends(require(None))]  # every logged-in account (policy.LOG_OUT)
AnyoneFile = Annotated[Visitor, Depends(require(None, "file"))]


@cache
def _size(path: Path) -> tuple[int, int]:
    """A PNG's width and height (its IHDR chunk), for the page's layout before the image arrives."""
    with path.open("rb") as file:
        head = file.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return (0, 0)
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def screenshots() -> dict[str, dict[str, object]]:
    """Each step's screenshots by name (« texte »): the phone's and the desktop's address and size."""
    found: dict[str, dict[str, object]] = {}
    for path in sorted(IMAGES.glob("*.png")) if IMAGES.is_dir() else []:
        if not IMAGE_NAME.fullmatch(path.stem):
            continue
        step, width = path.stem.rsplit("-", 1)
        shown, high = _size(path)
        entry = {"src": f"/staff/guide/images/{path.name}", "width": shown, "height": high}
        found.setdefault(step, {})["phone" if width == "375" else "desktop"] = entry
    return found


@router.get("/guide")
def guide_page(request: Request, visitor: Anyone) -> Response:
    return render(request, "guide.html.j2", shots=screenshots())


@router.get("/guide/images/{name}.png")
def guide_image(name: str, visitor: AnyoneFile) -> Response:
    path = IMAGES / f"{name}.png"
    if not IMAGE_NAME.fullmatch(name) or not path.is_file():
        raise HTTPException(404, "image inconnue du guide")
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
