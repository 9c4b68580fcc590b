"""Synthetic line-level FIR ledgers ("grand livre") of any size, with their exact expected totals.

    python bench/make_ledger.py --lines 10000000 --out /tmp/ledger.parquet [--csv] [--seed 1] [--year 2024]

Writes three files side by side: the ledger (Parquet, or CSV with `--csv`), `nomenclature.csv` (each
destination code → mission and thematic) and `<ledger file name>.expected.json`, the exact totals the
aggregation must find: AE and CP, by mission, CP by thematic, in cents and in euros (half-up).

Every value is clearly synthetic: destinations `SYN-001`…, thematic labels ending in
« (synthétique) ». The expected totals are known *by construction*, independently of the code under
test: for each chunk of lines the generator first draws how many lines each (destination, budget)
cell gets and the cell's total in cents, then splits that total into the cell's lines (integer
arithmetic, the remainder on the cell's first line), and turns about 1 % of the lines into
cancellations (a line's amount negated, twice its amount added to its cell's first line: the cell
total does not move). Lines are shuffled within each chunk. Only numpy and pyarrow are used, in
chunks of a million lines, so any size fits in a few hundred MB of memory.

Never writes into the project's inputs/.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "inputs"

BUDGETS = ("AE", "CP")
MISSIONS = (1, 2, 3, 4, 5)
MISSION_WEIGHTS = (0.15, 0.25, 0.27, 0.32, 0.01)
# Thematic ids as in the thematics tables; labels marked as synthetic.
THEMATICS: tuple[tuple[str, str], ...] = tuple(
    (slug, f"{label} (synthétique)")
    for slug, label in (
        ("investissements", "Investissements"),
        ("permanence-des-soins", "Permanence des soins"),
        ("vulnerabilite", "Vulnérabilité"),
        ("coordination-parcours", "Coordination des parcours"),
        ("maladies-infectieuses", "Maladies infectieuses"),
        ("cancer", "Parcours Cancer"),
        ("soins-palliatifs", "Soins palliatifs"),
        ("personnes-agees", "Personnes âgées"),
        ("addictologie", "Addictologie"),
        ("personnes-handicapees", "Personnes handicapées"),
        ("numerique", "Numérique en santé"),
        ("sante-mentale", "Santé mentale"),
        ("perinatalite", "Périnatalité"),
        ("divers", "Divers"),
        ("democratie-sanitaire", "Démocratie sanitaire"),
    )
)
DEPARTMENTS = ("02", "59", "60", "62", "80")
CATEGORIES = (
    "Établissement de santé",
    "Établissement médico-social",
    "Association",
    "Collectivité territoriale",
    "Professionnel de santé libéral",
    "Groupement de coopération",
)
SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("budget", pa.string()),
        ("amount", pa.decimal128(18, 2)),
        ("destination", pa.string()),
        ("department", pa.string()),
        ("beneficiary_category", pa.string()),
    ]
)
CHUNK_LINES = 1_000_000
MEAN_LINE_CENTS = 200_000  # about 2 000 € a line


@dataclass(frozen=True)
class Generated:
    ledger: Path
    nomenclature: Path
    expected_path: Path
    expected: dict


def euros(cents: int) -> int:
    """Cents to whole euros, halves away from zero (the brochure's half-up)."""
    whole, rest = divmod(abs(int(cents)), 100)
    value = whole + (1 if rest >= 50 else 0)
    return value if cents >= 0 else -value


def nomenclature_rows(destinations: int) -> list[dict]:
    """`SYN-001`… each mapped to a mission (1..5) and a thematic; every mission and thematic used.

    Depends on the number of destinations only (not on the seed): ledgers of any seed written to one
    folder share its nomenclature.csv.
    """
    if destinations < max(len(MISSIONS), len(THEMATICS)):
        raise ValueError(f"at least {max(len(MISSIONS), len(THEMATICS))} destinations")
    rng = np.random.default_rng(0)
    missions = rng.choice(MISSIONS, size=destinations, p=MISSION_WEIGHTS)
    themes = rng.integers(0, len(THEMATICS), size=destinations)
    rows = []
    for i in range(destinations):
        mission = MISSIONS[i] if i < len(MISSIONS) else int(missions[i])
        slug, label = THEMATICS[i] if i < len(THEMATICS) else THEMATICS[int(themes[i])]
        rows.append(
            {"destination": f"SYN-{i + 1:03d}", "mission": mission, "thematic_id": slug, "thematic_label": label}
        )
    return rows


def write_nomenclature(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["destination", "mission", "thematic_id", "thematic_label"])
        writer.writeheader()
        writer.writerows(rows)


def _decimal_cents(cents: np.ndarray) -> pa.Array:
    """int64 cents → decimal128(18, 2) holding the same cents, without any float on the way."""
    words = np.empty((cents.size, 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension to 128 bits (little-endian)
    return pa.Array.from_buffers(pa.decimal128(18, 2), cents.size, [None, pa.py_buffer(words)])


def _chunk(
    rng: np.random.Generator,
    n: int,
    cell_p: np.ndarray,
    cell_mean: np.ndarray,
    year_days: tuple[int, int],
    codes: pa.Array,
    negative_share: float,
) -> tuple[pa.Table, np.ndarray, int]:
    """One chunk of `n` lines, the total (cents) of each cell, drawn before the split, and the
    number of negative lines."""
    n_cells = cell_p.size
    counts = rng.multinomial(n, cell_p).astype(np.int64)
    totals = np.rint(counts * cell_mean * rng.uniform(0.9, 1.1, n_cells)).astype(np.int64)
    totals = np.maximum(totals, counts * 100)  # at least 1 € a line on average
    totals[counts == 0] = 0

    cell = np.repeat(np.arange(n_cells), counts)
    used = np.flatnonzero(counts)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[used]
    weights = rng.random(n) + 0.05
    weight_sums = np.add.reduceat(weights, starts)
    share = weights / np.repeat(weight_sums, counts[used])
    spread = (totals - counts)[cell].astype(np.float64) * (1 - 1e-9)
    amounts = 1 + np.floor(spread * share).astype(np.int64)  # every line ≥ 1 cent
    remainder = totals[used] - np.add.reduceat(amounts, starts)  # ≥ 0, exact integers
    amounts[starts] += remainder

    first = np.repeat(starts, counts[used])  # first line of each line's cell
    cancel = rng.random(n) < negative_share
    cancel[starts] = False
    picked = np.flatnonzero(cancel)
    np.add.at(amounts, first[picked], 2 * amounts[picked])
    amounts[picked] = -amounts[picked]

    order = rng.permutation(n)
    cell, amounts = cell[order], amounts[order]
    first_day, last_day = year_days
    days = rng.integers(first_day, last_day + 1, size=n, dtype=np.int32)
    table = pa.Table.from_arrays(
        [
            pa.array(days).cast(pa.date32()),
            pc.take(pa.array(BUDGETS), pa.array(cell % 2)),
            _decimal_cents(amounts),
            pc.take(codes, pa.array(cell // 2)),
            pc.take(pa.array(DEPARTMENTS), pa.array(rng.integers(0, len(DEPARTMENTS), size=n))),
            pc.take(pa.array(CATEGORIES), pa.array(rng.integers(0, len(CATEGORIES), size=n))),
        ],
        schema=SCHEMA,
    )
    return table, totals, int((amounts < 0).sum())


def expected_totals(cell_cents: np.ndarray, rows: list[dict]) -> dict:
    """The totals of the ledger from its cells' drawn totals (cell = destination × budget)."""
    ae = cp = 0
    missions = {m: {"ae_cents": 0, "cp_cents": 0} for m in sorted({r["mission"] for r in rows})}
    thematics: dict[str, int] = {}
    for slug, _ in THEMATICS:
        if any(r["thematic_id"] == slug for r in rows):
            thematics[slug] = 0
    for index, row in enumerate(rows):
        ae_cents, cp_cents = int(cell_cents[2 * index]), int(cell_cents[2 * index + 1])
        ae += ae_cents
        cp += cp_cents
        missions[row["mission"]]["ae_cents"] += ae_cents
        missions[row["mission"]]["cp_cents"] += cp_cents
        thematics[row["thematic_id"]] += cp_cents
    return {
        "ae_cents": ae,
        "cp_cents": cp,
        "ae": euros(ae),
        "cp": euros(cp),
        "missions": [
            {"mission": m, **v, "ae": euros(v["ae_cents"]), "cp": euros(v["cp_cents"])} for m, v in missions.items()
        ],
        "thematics": [{"thematic_id": t, "amount_cents": c, "amount": euros(c)} for t, c in thematics.items()],
    }


def write_ledger(
    out: Path,
    lines: int,
    *,
    year: int = 2024,
    seed: int = 1,
    csv_format: bool = False,
    destinations: int = 120,
    chunk_lines: int = CHUNK_LINES,
    negative_share: float = 0.01,
) -> Generated:
    """Write a synthetic ledger of `lines` lines at `out`, its nomenclature and its expected totals."""
    out = Path(out).with_suffix(".csv" if csv_format else ".parquet")
    if out.resolve().is_relative_to(INPUTS.resolve()):
        raise ValueError(f"refusing to write synthetic data into {INPUTS}")
    if lines < 0:
        raise ValueError("lines must be ≥ 0")
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = nomenclature_rows(destinations)
    nomenclature = out.parent / "nomenclature.csv"
    expected_path = out.with_name(out.name + ".expected.json")
    write_nomenclature(nomenclature, rows)

    rng = np.random.default_rng([seed, 2])
    dest_p = rng.lognormal(0.0, 1.0, destinations)
    dest_p /= dest_p.sum()
    cell_p = np.repeat(dest_p, 2) * 0.5  # AE and CP lines equally likely
    cell_p /= cell_p.sum()
    cell_mean = rng.lognormal(np.log(MEAN_LINE_CENTS), 0.8, 2 * destinations)
    epoch = date(1970, 1, 1)
    year_days = ((date(year, 1, 1) - epoch).days, (date(year, 12, 31) - epoch).days)
    codes = pa.array([r["destination"] for r in rows])

    cell_cents = np.zeros(2 * destinations, dtype=np.int64)
    negatives = 0
    partial = out.with_name(out.name + ".partial")
    writer = (
        pacsv.CSVWriter(partial, SCHEMA, write_options=pacsv.WriteOptions(quoting_style="needed"))
        if csv_format
        else pq.ParquetWriter(partial, SCHEMA, compression="zstd")
    )
    try:
        done = 0
        while done < lines:
            n = min(chunk_lines, lines - done)
            table, totals, chunk_negatives = _chunk(rng, n, cell_p, cell_mean, year_days, codes, negative_share)
            writer.write_table(table)
            cell_cents += totals
            negatives += chunk_negatives
            done += n
    finally:
        writer.close()
    os.replace(partial, out)

    expected = {
        "generator": "bench/make_ledger.py",
        "synthetic": True,
        "seed": seed,
        "year": year,
        "lines": lines,
        "destinations": destinations,
        "format": "csv" if csv_format else "parquet",
        "ledger": out.name,
        "nomenclature": nomenclature.name,
        "negative_lines": negatives,
        **expected_totals(cell_cents, rows),
    }
    expected_path.write_text(json.dumps(expected, ensure_ascii=False, indent=1), encoding="utf-8")
    return Generated(out, nomenclature, expected_path, expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic FIR ledger with its nomenclature and totals.")
    parser.add_argument("--lines", type=int, required=True, help="number of ledger lines")
    parser.add_argument("--out", type=Path, required=True, help="ledger path (.parquet, or .csv)")
    parser.add_argument("--csv", action="store_true", help="write CSV instead of Parquet")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--destinations", type=int, default=120)
    args = parser.parse_args(argv)
    csv_format = args.csv or args.out.suffix.lower() == ".csv"
    try:
        generated = write_ledger(
            args.out,
            args.lines,
            year=args.year,
            seed=args.seed,
            csv_format=csv_format,
            destinations=args.destinations,
        )
    except ValueError as exc:
        print(f"make_ledger: {exc}", file=sys.stderr)
        return 2
    print(f"{generated.ledger} ({args.lines:,} lines)\n{generated.nomenclature}\n{generated.expected_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
