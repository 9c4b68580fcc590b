"""The line-level ledger: exact aggregation, diagnostics, reconciliation and located errors.

Ledgers come from bench/make_ledger.py, whose expected totals are known by construction (drawn per
cell, then split into lines), independently of flows.edition.ingest.ledger. The reconciliation
and the diagnostics are Findings of flows.edition.validate.ledger: their messages are compared.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from bench import make_ledger
from flows.edition.compute import figures as compute
from flows.edition.errors import InputError
from flows.edition.french import format_eur
from flows.edition.ingest import ledger
from flows.edition.ingest.ledger_read import EXPECTED, read_nomenclature, scan_ledger
from flows.edition.validate import ledger as ledger_check
from flows.edition.validate.findings import Finding

LINES = 200_000
YEAR = 2024
HEADER = "date,budget,amount,destination,department,beneficiary_category"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, make_ledger.Generated]:
    folder = tmp_path_factory.mktemp("ledger")
    return {
        fmt: make_ledger.write_ledger(
            folder / "ledger", LINES, year=YEAR, seed=7, csv_format=fmt == "csv", chunk_lines=60_000
        )
        for fmt in ("parquet", "csv")
    }


@pytest.fixture(scope="module")
def totals(generated) -> ledger.LedgerTotals:
    g = generated["parquet"]
    return ledger.aggregate(scan_ledger(g.ledger), read_nomenclature(g.nomenclature), YEAR)


def _aggregate_file(path: Path, nomenclature: Path) -> ledger.LedgerTotals:
    return ledger.aggregate(scan_ledger(path), read_nomenclature(nomenclature), YEAR)


def _messages(findings: list[Finding]) -> list[str]:
    return [finding.message for finding in findings]


def _write(path: Path, *lines: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def nomenclature(tmp_path) -> Path:
    return _write(
        tmp_path / "nomenclature.csv",
        "SYN-001,1,investissements,Investissements (synthétique)",
        "SYN-002,2,cancer,Cancer (synthétique)",
        "SYN-003,2,investissements,Investissements (synthétique)",
        header="destination,mission,thematic_id,thematic_label",
    )


# --- exact totals ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_generated_ledger_aggregates_to_its_known_totals_to_the_euro(generated, fmt):
    g = generated[fmt]
    expected = g.expected
    result = _aggregate_file(g.ledger, g.nomenclature)

    assert (result.ae_cents, result.cp_cents) == (expected["ae_cents"], expected["cp_cents"])
    assert (result.ae, result.cp) == (expected["ae"], expected["cp"])
    assert result.missions.sort("mission").rows() == [(m["mission"], m["ae"], m["cp"]) for m in expected["missions"]]
    assert dict(result.thematics.iter_rows()) == {t["thematic_id"]: t["amount"] for t in expected["thematics"]}
    d = result.diagnostics
    assert d.lines == LINES
    assert d.negative == expected["negative_lines"] > 0
    assert (d.out_of_year, d.unknown_destination) == (0, 0)


def test_csv_and_parquet_give_identical_totals(generated):
    a = _aggregate_file(generated["parquet"].ledger, generated["parquet"].nomenclature)
    b = _aggregate_file(generated["csv"].ledger, generated["csv"].nomenclature)
    assert (a.ae_cents, a.cp_cents, a.diagnostics) == (b.ae_cents, b.cp_cents, b.diagnostics)
    assert a.missions.equals(b.missions) and a.thematics.equals(b.thematics)


def test_euros_are_rounded_half_up_from_cents_of_each_total(tmp_path, nomenclature):
    path = _write(
        tmp_path / "l.csv",
        "2024-01-01,AE,0.50,SYN-001,59,Association",  # mission 1: 0,50 € → 1 €
        "2024-01-01,AE,0.49,SYN-002,59,Association",  # mission 2: 0,49 + 0,01 = 0,50 € → 1 €
        "2024-01-01,AE,0.01,SYN-003,59,Association",
        "2024-01-01,CP,-2.50,SYN-001,59,Association",  # −2,50 € → −3 € (halves away from zero)
    )
    result = _aggregate_file(path, nomenclature)
    assert result.ae == 1  # 1,00 € in all: rounded once, from the exact cents
    assert result.missions.sort("mission").rows() == [(1, 1, -3), (2, 1, 0)]
    assert result.cp == -3


def test_sums_cannot_overflow(tmp_path, nomenclature):
    big = "999999999999999.99"  # the largest amount a line may hold; 100 of them exceed Int64 cents
    path = _write(tmp_path / "l.csv", *[f"2024-01-01,CP,{big},SYN-001,59,x"] * 100)
    result = _aggregate_file(path, nomenclature)
    assert result.cp_cents == 100 * 99_999_999_999_999_999


def test_parquet_amounts_as_decimals_floats_or_integers(tmp_path, nomenclature):
    base = {
        "date": [date(2024, 3, 1)] * 3,
        "budget": ["AE", "CP", "CP"],
        "destination": ["SYN-001", "SYN-002", "SYN-002"],
        "department": ["59", "62", "80"],
        "beneficiary_category": ["Association"] * 3,
    }
    amounts = {
        "decimal": pl.Series([Decimal("0.29"), Decimal("1.10"), Decimal("-0.40")], dtype=pl.Decimal(18, 2)),
        "float": pl.Series([0.29, 1.10, -0.40]),
        "integer": pl.Series([0, 1, 0]),
    }
    cents = {"decimal": (29, 70), "float": (29, 70), "integer": (0, 100)}
    for kind, series in amounts.items():
        path = tmp_path / f"{kind}.parquet"
        pl.DataFrame({**base, "amount": series}).write_parquet(path)
        result = _aggregate_file(path, nomenclature)
        assert (result.ae_cents, result.cp_cents) == cents[kind], kind


# --- tables shaped like the aggregated ones ----------------------------------------------------------


def test_as_tables_have_the_schema_of_the_typed_tables(totals, edition_2018, edition_2024):
    tables = ledger.as_tables(totals)
    assert tables["missions"].schema == edition_2018.tables["missions"].schema
    assert tables["thematics"].schema == edition_2024.tables["thematics"].schema
    thematics = tables["thematics"]
    assert thematics.filter(pl.col("kind") == "total")["amount"].to_list() == [totals.cp]
    assert set(thematics["label"]) >= {"Investissements (synthétique)", "Total"}
    assert thematics["unit"].unique().to_list() == ["€"] and thematics["_line"].unique().to_list() == [0]


def test_as_tables_reconcile_with_themselves_and_feed_the_brochure(totals):
    tables = ledger.as_tables(totals)
    execution = pl.DataFrame({"budget": ["AE", "CP"], "executed": [totals.ae, totals.cp]})
    assert _messages(ledger_check.reconcile(totals, tables["missions"], tables["thematics"], execution)) == []

    split = compute.thematic_split(tables["thematics"])
    assert float(split["share"].sum()) == pytest.approx(100.0)
    missions = compute.mission_split(tables["missions"], execution, pl.DataFrame({"mission": [1, 2, 3, 4, 5]}))
    assert missions["ae"].sum() == pytest.approx(totals.ae, abs=3)  # each mission rounded from its cents


# --- reconciliation -----------------------------------------------------------------------------


def test_reconcile_names_a_one_euro_difference_with_both_values(totals):
    tables = ledger.as_tables(totals)
    ae_2 = totals.missions.filter(pl.col("mission") == 2)["ae"].item()
    missions = tables["missions"].with_columns(
        pl.when(pl.col("mission") == 2).then(pl.col("ae") + 1).otherwise(pl.col("ae")).alias("ae")
    )
    messages = _messages(ledger_check.reconcile(totals, missions, tables["thematics"], None))
    assert messages == [
        f"Mission 2, AE : grand livre {format_eur(ae_2)} ≠ table missions {format_eur(ae_2 + 1)} (écart −1\u00a0€)"
    ]


def test_reconcile_execution_and_thematics(totals):
    tables = ledger.as_tables(totals)
    thematics = tables["thematics"].with_columns(
        pl.when(pl.col("thematic_id") == "cancer").then(pl.col("amount") - 2).otherwise(pl.col("amount"))
    )
    execution = pl.DataFrame({"budget": ["AE", "CP"], "executed": [totals.ae, totals.cp + 5]})
    messages = _messages(ledger_check.reconcile(totals, None, thematics, execution))
    cancer = dict(totals.thematics.iter_rows())["cancer"]
    assert messages == [
        f"CP : grand livre {format_eur(totals.cp)} ≠ table execution {format_eur(totals.cp + 5)} (écart −5\u00a0€)",
        f"Thématique « cancer » : grand livre {format_eur(cancer)} ≠ table thematics "
        f"{format_eur(cancer - 2)} (écart +2\u00a0€)",
    ]


def test_reconcile_compares_a_rounded_table_at_its_precision(totals):
    rounded = int(Decimal(totals.cp).scaleb(-5).quantize(Decimal(1), rounding="ROUND_HALF_UP").scaleb(5))
    execution = pl.DataFrame(
        {"budget": ["AE", "CP"], "unit": ["€", "M€"], "executed": [totals.ae, rounded], "executed_dp": [0, 1]},
        schema_overrides={"executed_dp": pl.Int8},
    )
    assert _messages(ledger_check.reconcile(totals, None, None, execution)) == []
    moved = execution.with_columns(pl.col("executed") + pl.when(pl.col("budget") == "CP").then(100_000).otherwise(0))
    messages = _messages(ledger_check.reconcile(totals, None, None, moved))
    assert len(messages) == 1 and messages[0].startswith(f"CP : grand livre {format_eur(totals.cp)} ≠ ")
    assert "la table est arrondie à 0,1\u00a0M€" in messages[0]


def test_reconcile_a_mission_missing_from_the_table(totals):
    tables = ledger.as_tables(totals)
    findings = ledger_check.reconcile(totals, tables["missions"].filter(pl.col("mission") != 5), None, None)
    messages = _messages(findings)
    assert [m.split(" : ")[0] for m in messages] == ["Mission 5, AE", "Mission 5, CP"]
    assert all("absente de la table missions" in m for m in messages)


# --- diagnostics --------------------------------------------------------------------------------


def test_unknown_code_out_of_year_and_negative_lines_are_counted(tmp_path, nomenclature):
    path = _write(
        tmp_path / "l.csv",
        "2024-01-15,AE,1000.00,SYN-001,59,Association",
        "2024-02-15,CP,800.25,SYN-002,62,Association",
        "2024-03-15,CP,-100.25,SYN-002,62,Association",  # cancellation
        "2023-12-31,CP,5000.00,SYN-001,59,Association",  # previous year
        "2025-01-02,AE,7.00,SYN-001,59,Association",  # next year
        "2024-04-15,AE,300.00,SYN-999,80,Association",  # not in the nomenclature
        '2024-04-16,CP,20.00,"",80,Association',  # no destination
    )
    result = _aggregate_file(path, nomenclature)
    d = result.diagnostics
    assert (d.lines, d.out_of_year, d.other_years, d.negative) == (7, 2, (2023, 2025), 1)
    assert (d.out_of_year_ae, d.out_of_year_cp) == (7, 5000)
    assert (d.unknown_destination, d.unknown_codes, d.unknown_codes_count) == (2, ("", "SYN-999"), 2)
    assert (d.unknown_ae, d.unknown_cp) == (300, 20)
    # Unknown codes count in the AE/CP totals, in no mission; other years count nowhere.
    assert (result.ae, result.cp) == (1300, 720)
    assert result.missions.sort("mission").rows() == [(1, 1000, 0), (2, 0, 700)]
    notes = _messages(ledger_check.describe(result))
    assert len(notes) == 3
    assert notes[0].startswith("2 lignes datées hors de 2024 (2023, 2025)")
    assert "SYN-999" in notes[1] and "(vide)" in notes[1]
    assert notes[2].startswith("1 ligne négative")


def test_anomalies_added_to_a_generated_ledger(generated, tmp_path):
    g = generated["parquet"]
    lines = pl.read_parquet(g.ledger)
    extra = pl.DataFrame(
        {
            "date": [date(2024, 6, 1), date(2023, 6, 1), date(2024, 6, 1)],
            "budget": ["CP", "CP", "AE"],
            "amount": [Decimal("12.34"), Decimal("99.00"), Decimal("-1.00")],
            "destination": ["SYN-XXX", "SYN-001", "SYN-001"],
            "department": ["59"] * 3,
            "beneficiary_category": ["Association"] * 3,
        },
        schema=lines.schema,
    )
    path = tmp_path / "with-anomalies.parquet"
    pl.concat([lines.head(LINES // 2), extra, lines.tail(LINES - LINES // 2)]).write_parquet(path)
    result = _aggregate_file(path, g.nomenclature)
    d = result.diagnostics
    assert (d.lines, d.out_of_year, d.unknown_destination, d.unknown_codes) == (LINES + 3, 1, 1, ("SYN-XXX",))
    assert d.negative == g.expected["negative_lines"] + 1
    assert (result.ae_cents, result.cp_cents) == (g.expected["ae_cents"] - 100, g.expected["cp_cents"] + 1234)


# --- errors -------------------------------------------------------------------------------------


def _problems(function, *args) -> list:
    with pytest.raises(InputError) as caught:
        function(*args)
    return caught.value.problems


def _error(path: Path, nomenclature: Path) -> str:
    return "\n".join(str(p) for p in _problems(_aggregate_file, path, nomenclature))


def test_missing_column_is_named(tmp_path, nomenclature):
    path = _write(
        tmp_path / "l.csv",
        "2024-01-01,AE,SYN-001,59,x",
        header="date,budget,destination,department,beneficiary_category",
    )
    message = _error(path, nomenclature)
    assert message.startswith(f"{path}, ligne 1, colonne « amount »")
    assert "attendu : une colonne « amount » (un montant en euros" in message


def test_bad_date_budget_and_amount_are_located(tmp_path, nomenclature):
    path = _write(
        tmp_path / "l.csv",
        "2024-01-01,AE,10,SYN-001,59,x",
        "2024-02-30,AE,10,SYN-001,59,x",
        "2024-03-01,XX,10,SYN-001,59,x",
        '2024-03-01,CP,"12,50",SYN-001,59,x',
        "2024-03-01,CP,1.005,SYN-001,59,x",
        "15/03/2024,CP,,SYN-001,59,x",
    )
    problems = [str(p) for p in _problems(_aggregate_file, path, nomenclature)]
    assert problems == [
        f"{path}, ligne 3, colonne « date » : valeur « 2024-02-30 » — attendu : une date ISO AAAA-MM-JJ "
        "(ex. « 2024-03-15 »)",
        f"{path}, ligne 7, colonne « date » : valeur « 15/03/2024 » — attendu : une date ISO AAAA-MM-JJ "
        "(ex. « 2024-03-15 »)",
        f"{path}, ligne 4, colonne « budget » : valeur « XX » — attendu : « AE » ou « CP »",
        f"{path}, ligne 5, colonne « amount » : valeur « 12,50 » — attendu : {EXPECTED['amount']}",
        f"{path}, ligne 6, colonne « amount » : valeur « 1.005 » — attendu : {EXPECTED['amount']}",
        f"{path}, ligne 7, colonne « amount » : valeur «  » — attendu : {EXPECTED['amount']} (la cellule est vide)",
    ]


def test_a_bad_line_deep_in_a_large_ledger_is_located(generated, tmp_path):
    path = tmp_path / "ledger.csv"
    shutil.copy(generated["csv"].ledger, path)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("2024-05-01,XX,1.00,SYN-001,59,Association\n")
    message = _error(path, generated["csv"].nomenclature)
    assert message == f"{path}, ligne {LINES + 2}, colonne « budget » : valeur « XX » — attendu : « AE » ou « CP »"


def test_many_bad_values_are_summarised(tmp_path, nomenclature):
    path = _write(tmp_path / "l.csv", *["2024-01-01,XX,1,SYN-001,59,x"] * 12)
    problems = _problems(_aggregate_file, path, nomenclature)
    assert [p.line for p in problems] == [2, 3, 4, 5, 6]
    assert problems[-1].expected.endswith("— et 7 autres lignes dans cette colonne")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (f"{HEADER}\n2024-01-01,AE,1,SYN-001,59,x,extra\n".encode(), "ligne 2 — attendu : 6 champs comme l'en-tête"),
        (f"{HEADER}\n2024-01-01,AE,1,SYN-001,59,Établissement\n".encode("latin-1"), "ligne 2 — attendu : un fichier"),
        (f"{HEADER}\n".encode(), "ligne 1 — attendu : au moins une ligne d'écriture"),
        (b"", "ligne 1 — attendu : une ligne d'en-tête"),
        (HEADER.replace(",", ";").encode() + b"\n", "le séparateur est la virgule"),
        (f"{HEADER},amount\n".encode(), "colonne « amount » : valeur « amount » — attendu : chaque colonne une seule"),
    ],
    ids=["extra-field", "latin-1", "no-line", "empty-file", "semicolons", "duplicate-column"],
)
def test_malformed_csv_files_raise_input_errors(tmp_path, nomenclature, content, expected):
    path = tmp_path / "l.csv"
    path.write_bytes(content)
    message = _error(path, nomenclature)
    assert message.startswith(str(path)) and expected in message


def test_bad_parquet_types_and_sub_cent_decimals(tmp_path, nomenclature):
    base = {
        "date": [20240101],
        "budget": ["AE"],
        "amount": pl.Series([Decimal("1.005")], dtype=pl.Decimal(18, 3)),
        "destination": ["SYN-001"],
        "department": ["59"],
        "beneficiary_category": ["x"],
    }
    path = tmp_path / "l.parquet"
    pl.DataFrame(base).write_parquet(path)
    assert "colonne « date » : valeur « type Int64 » — attendu : une colonne de dates" in _error(path, nomenclature)
    pl.DataFrame({**base, "date": [date(2024, 1, 1)]}).write_parquet(path)
    assert "ligne 1, colonne « amount » : valeur « 1.005 »" in _error(path, nomenclature)
    path.write_bytes(b"not a parquet file")
    with pytest.raises(InputError, match="attendu : un fichier Parquet lisible"):
        scan_ledger(path)


def test_nomenclature_errors_are_located(tmp_path):
    path = _write(
        tmp_path / "n.csv",
        "SYN-001;1;investissements",
        "SYN-001;6;Cancer",
        header="destination;mission;thematic_id",
    )
    problems = [str(p) for p in _problems(read_nomenclature, path)]
    assert problems == [
        f"{path}, ligne 3, colonne « destination » : valeur « SYN-001 » — attendu : un code de destination "
        "unique (doublon)",
        f"{path}, ligne 3, colonne « mission » : valeur « 6 » — attendu : un numéro de mission de 1 à 5",
        f"{path}, ligne 3, colonne « thematic_id » : valeur « Cancer » — attendu : l'identifiant d'une thématique "
        "(minuscules, chiffres et tirets, ex. « investissements »)",
    ]


def test_generator_refuses_to_write_into_inputs():
    with pytest.raises(ValueError, match="inputs"):
        make_ledger.write_ledger(make_ledger.INPUTS / "ledger.parquet", 10)
