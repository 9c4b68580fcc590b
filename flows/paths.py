"""Every path the job uses, derived from one project root."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INPUTS_DIR = PROJECT_ROOT / "inputs"
OUTPUTS_DIR = PROJECT_ROOT / "outputs"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
FONTS_DIR = TEMPLATES_DIR / "fonts"
# The print file's CMYK output profile (FOGRA39, offset on coated paper), built by scripts/setup.sh with
# ArgyllCMS from the measurement data of Debian's icc-profiles-free; FIR_PRINT_PROFILE names another one.
PRINT_PROFILE = Path(os.environ.get("FIR_PRINT_PROFILE", "/usr/local/share/color/icc/fir/FOGRA39L-argyll.icc"))


# Each file a revision holds, by role (flows/edition/publish/manifest.py): its name in the revision's folder
# and, for a published revision's current view, at the edition's top.
FILE_NAMES = {
    "pdf": "fir-{region}-{year}.pdf",
    "archive": "fir-{region}-{year}-archive.pdf",
    "draft": "fir-{region}-{year}-projet.pdf",
    "print": "fir-{region}-{year}-impression.pdf",
    "web": "web/index.html",
    "data": "fir-{region}-{year}-donnees.zip",
}


def file_name(role: str, region: str, year: int) -> str:
    """The name a revision's file of `role` has in its folder."""
    return FILE_NAMES[role].format(region=region, year=year)


def edition_dir(outputs: Path, region: str, year: int) -> Path:
    """The folder of an edition's published files, views and records (flows/edition/publish/store.py)."""
    return outputs / region / str(year)


def brochure_path(outputs: Path, region: str, year: int) -> Path:
    """Where the current brochure of an edition is published."""
    return outputs / region / str(year) / f"fir-{region}-{year}.pdf"


def archive_path(outputs: Path, region: str, year: int) -> Path:
    """Where the archival (PDF/A-3, data attached) copy of the current brochure is published."""
    return outputs / region / str(year) / f"fir-{region}-{year}-archive.pdf"


def draft_path(outputs: Path, region: str, year: int, revision: int) -> Path:
    """Where the copy of a draft marked "PROJET — ne pas diffuser" waits for its sign-off."""
    return outputs / region / str(year) / "projets" / f"r{revision}" / f"fir-{region}-{year}-projet.pdf"
