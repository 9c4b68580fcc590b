"""Synthetic editions for the national batch: the 2024 Hauts-de-France edition copied under the names of
France's 18 regions, clearly marked as test data. Never written into inputs/.

    .venv/bin/python bench/make_editions.py --regions 18 --out /tmp/fir-national/inputs
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_REGION, SOURCE_YEAR = "hauts-de-france", 2024
REGIONS = [
    ("auvergne-rhone-alpes", "Auvergne-Rhône-Alpes"),
    ("bourgogne-franche-comte", "Bourgogne-Franche-Comté"),
    ("bretagne", "Bretagne"),
    ("centre-val-de-loire", "Centre-Val de Loire"),
    ("corse", "Corse"),
    ("grand-est", "Grand Est"),
    ("hauts-de-france", "Hauts-de-France"),
    ("ile-de-france", "Île-de-France"),
    ("normandie", "Normandie"),
    ("nouvelle-aquitaine", "Nouvelle-Aquitaine"),
    ("occitanie", "Occitanie"),
    ("pays-de-la-loire", "Pays de la Loire"),
    ("provence-alpes-cote-d-azur", "Provence-Alpes-Côte d'Azur"),
    ("guadeloupe", "Guadeloupe"),
    ("martinique", "Martinique"),
    ("guyane", "Guyane"),
    ("la-reunion", "La Réunion"),
    ("mayotte", "Mayotte"),
]


def make_editions(out: Path, count: int = 18, year: int = SOURCE_YEAR) -> list[tuple[str, int]]:
    """Write `count` synthetic editions under `out` (an inputs folder) and return their (region, year)."""
    source = ROOT / "inputs"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "_reference", out / "_reference", dirs_exist_ok=True)
    made = []
    for slug, name in REGIONS[:count]:
        target = out / slug / str(year)
        shutil.copytree(source / SOURCE_REGION / str(SOURCE_YEAR), target, dirs_exist_ok=True)
        toml = target / "edition.toml"
        text = toml.read_text(encoding="utf-8")
        text = re.sub(r'^region = ".*"$', f'region = "{slug}"', text, flags=re.M)
        text = re.sub(r'^region_name = ".*"$', f'region_name = "{name} (données synthétiques)"', text, flags=re.M)
        text = re.sub(r'^agency = ".*"$', f'agency = "Agence régionale de santé fictive {name}"', text, flags=re.M)
        text = re.sub(r'^agency_short = ".*"$', f'agency_short = "ARS fictive {name}"', text, flags=re.M)
        text = re.sub(r"^year = \d+$", f"year = {year}", text, flags=re.M)
        text = re.sub(r'^title = ".*"$', f'title = "Le Fonds d\'intervention régional {year} (test)"', text, flags=re.M)
        toml.write_text(text, encoding="utf-8")
        made.append((slug, year))
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=18)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.out.resolve() == (ROOT / "inputs").resolve():
        print("refusé : les éditions synthétiques ne s'écrivent jamais dans inputs/", file=sys.stderr)
        return 2
    for region, year in make_editions(args.out, args.regions):
        print(f"{region} {year}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
