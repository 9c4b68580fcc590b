"""The names of an edition folder's files, in a module that imports nothing: the snapshot reads the files
they name, and the no-change decision (ingest/checksums.py) checksums the same files without loading Polars."""

from __future__ import annotations

META_FILE = "edition.toml"
WORKBOOK = "figures.xlsx"
TEXTS_DIR = "texts"
REFERENCE_DIR = "_reference"
MISSIONS_REFERENCE = f"{REFERENCE_DIR}/missions.csv"
LEDGER_NAMES = ("ledger.parquet", "ledger.csv")
NOMENCLATURE = "nomenclature.csv"
ASIDE_FOLDER = "_anciens-csv"  # where CSV files replaced by the workbook go: never read (not a table file)
