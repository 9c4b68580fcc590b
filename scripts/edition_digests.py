"""SHA-256 of every file a build makes (brochure, archival copy, marked copy, print file, web edition, data
package) for both real editions, each built from scratch in a temporary folder: the proof that a change of
the code left what readers get byte-identical (issue 25). Run from the project's root:

    .venv/bin/python scripts/edition_digests.py [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITIONS = (("hauts-de-france", 2018), ("hauts-de-france", 2024))


def digests(region: str, year: int, work: Path) -> dict[str, str]:
    """Build one edition into `work` (its own outputs and Prefect home) and read its draft's record."""
    outputs = work / f"{region}-{year}"
    env = {**os.environ, "PREFECT_HOME": str(work / f"prefect-{year}")}
    env.pop("FIR_PORTAL_URL", None)
    command = [str(ROOT / ".venv/bin/fir"), "build", "--region", region, "--year", str(year)]
    command += ["--inputs", str(ROOT / "inputs"), "--outputs", str(outputs)]
    subprocess.run(command, env=env, check=True, capture_output=True)
    (record,) = (outputs / region / str(year) / ".records").glob("r1.*.json")
    entry = json.loads(record.read_text())
    files, objects = entry["files"], outputs / region / str(year) / ".objects"
    found = {role: files[role]["sha256"] for role in sorted(files) if role not in ("draft", "data")}
    # The marked copy and the data package carry the build's date and time (the PDF's random /ID, the
    # package's « created » and its members' dates): compared by content, dates aside.
    found["draft (sans /ID)"] = _pdf_without_id((objects / files["draft"]["sha256"]).read_bytes())
    found["data (sans dates)"] = _zip_without_dates((objects / files["data"]["sha256"]).read_bytes(), entry)
    return found


def _pdf_without_id(data: bytes) -> str:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, static_id=True, deterministic_id=False)
    return hashlib.sha256(out.getvalue()).hexdigest()


def _zip_without_dates(data: bytes, entry: dict[str, object]) -> str:
    import zipfile

    digest = hashlib.sha256()
    stamp = str(entry["published_at"])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in sorted(archive.namelist()):
            member = archive.read(name)
            if name.endswith(".xlsx"):
                member = _zip_without_dates(member, entry).encode()
            member = member.replace(stamp.encode(), b"@published_at")
            member = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"@timestamp", member)  # the workbook's own
            digest.update(name.encode() + b"\0" + member)
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the digests to this file")
    args = parser.parse_args()
    found: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as work:
        for region, year in EDITIONS:
            found[f"{region} {year}"] = digests(region, year, Path(work))
    for edition, roles in found.items():
        for role, sha in roles.items():
            print(f"{edition:<22} {role:<8} {sha}")
    if args.json:
        args.json.write_text(json.dumps(found, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
